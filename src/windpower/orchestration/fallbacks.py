"""``run`` works with nothing up: fall back to local Prefect and MLflow stores."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.error import URLError
from urllib.request import urlopen

from prefect.settings import (
    PREFECT_API_URL,
    PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS,
    temporary_settings,
)

logger = logging.getLogger(__name__)

# How long a health probe may take before a server counts as unreachable.
PROBE_TIMEOUT_SECONDS = 3.0
# Prefect waits 20 s for its temporary server; a busy machine needs longer.
LOCAL_SERVER_STARTUP_SECONDS = 120


def is_reachable(health_url: str, timeout: float = PROBE_TIMEOUT_SECONDS) -> bool:
    """Tell whether ``health_url`` answers with a 2xx status."""
    try:
        with urlopen(health_url, timeout=timeout) as response:  # noqa: S310
            return 200 <= response.status < 300  # noqa: PLR2004
    except (URLError, OSError, ValueError):
        return False


@contextmanager
def reachable_prefect_api() -> Iterator[str | None]:
    """Keep ``PREFECT_API_URL`` if its server answers; otherwise unset it inside.

    With no API URL, Prefect starts a temporary local server for the run.

    Yields:
        The API URL in use, or ``None`` for the temporary local server.
    """
    api_url = PREFECT_API_URL.value()
    if api_url and is_reachable(api_url.rstrip("/") + "/health"):
        yield api_url
        return
    if api_url:
        logger.warning(
            "Prefect API %s is unreachable: running on a temporary local Prefect "
            "server instead (this run will not show in the shared UI).",
            api_url,
        )
    saved = os.environ.pop("PREFECT_API_URL", None)
    startup = max(
        PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS.value(),
        LOCAL_SERVER_STARTUP_SECONDS,
    )
    try:
        with temporary_settings(
            updates={PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS: startup},
            restore_defaults={PREFECT_API_URL},
        ):
            yield None
    finally:
        if saved is not None:
            os.environ["PREFECT_API_URL"] = saved


def use_reachable_mlflow(fallback_dir: Path) -> str:
    """Keep ``MLFLOW_TRACKING_URI`` if its server answers; else use local sqlite.

    Args:
        fallback_dir: Writable directory for ``mlflow.db`` and the artifacts.

    Returns:
        The tracking URI in use.
    """
    uri = os.environ.get("MLFLOW_TRACKING_URI", "")
    is_http = uri.startswith(("http://", "https://"))
    if uri and (not is_http or is_reachable(uri.rstrip("/") + "/health")):
        return uri
    fallback_dir.mkdir(parents=True, exist_ok=True)
    local_uri = f"sqlite:///{(fallback_dir / 'mlflow.db').resolve()}"
    logger.warning(
        "MLflow tracking server %s is unreachable or unset: tracking to %s instead.",
        uri or "(MLFLOW_TRACKING_URI unset)",
        local_uri,
    )
    os.environ["MLFLOW_TRACKING_URI"] = local_uri
    # Where a sqlite store puts artifacts of new experiments (default ./mlruns,
    # which is read-only in the image).
    os.environ["_MLFLOW_SERVER_ARTIFACT_ROOT"] = str(
        (fallback_dir / "mlartifacts").resolve()
    )
    return local_uri
