"""windpower: wind-power forecasting with Kedro, MLflow and Prefect."""

from pathlib import Path

__version__ = "0.1.0"


def project_root() -> Path:
    """The Kedro project root (``/app`` in the image): holds ``pyproject.toml``,
    ``conf/`` and ``prefect.yaml``."""
    return Path(__file__).resolve().parents[2]
