"""Datasets that talk to MLflow, so nodes stay pure.

Savers log into the run the project hook opened (``mlflow.active_run()``); with
no active run (e.g. ``data_processing`` alone) they only log locally.
"""

import logging
from typing import Any

import matplotlib.pyplot as plt
import mlflow
from kedro.io import AbstractDataset, DatasetError
from mlflow.exceptions import MlflowException

from windpower.store.sites import model_name

logger = logging.getLogger(__name__)
_MISSING = {"RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE"}


def flatten_metrics(data: dict, prefix: str = "") -> dict[str, float]:
    """Nested dict to flat ``a.b`` numeric metrics; non-numbers are skipped."""
    flat: dict[str, float] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten_metrics(value, f"{name}."))
        elif isinstance(value, int | float) and not isinstance(value, bool):
            flat[name] = float(value)
    return flat


class MlflowMetricsDataset(AbstractDataset[dict, dict]):
    """Save a (nested) dict: its numbers as metrics of the active MLflow run.

    Args:
        prefix: Prefix of every metric name.
        artifact_file: If set, the whole dict is also logged as this JSON artifact.

    Load returns the dict saved during this run.
    """

    def __init__(self, prefix: str = "", artifact_file: str | None = None):
        self._prefix, self._artifact_file = prefix, artifact_file
        self._data: dict | None = None

    def save(self, data: dict) -> None:
        self._data = data
        metrics = flatten_metrics(data, self._prefix)
        logger.info("metrics %s", metrics)
        if mlflow.active_run():
            mlflow.log_metrics(metrics)
            if self._artifact_file:
                mlflow.log_dict(data, self._artifact_file)

    def load(self) -> dict:
        if self._data is None:
            raise DatasetError("metrics not saved in this run")
        return self._data

    def _describe(self) -> dict[str, Any]:
        return {"prefix": self._prefix, "artifact_file": self._artifact_file}


class _MlflowArtifactDataset(AbstractDataset[Any, Any]):
    """Save data as one artifact of the active run; load gives it back in-run."""

    def __init__(self, artifact_file: str):
        self._artifact_file = artifact_file
        self._data: Any = None

    def save(self, data: Any) -> None:
        if mlflow.active_run() is not None:
            self._log(data)
        self._data = data

    def _log(self, data: Any) -> None:
        raise NotImplementedError

    def load(self) -> Any:
        if self._data is None:
            raise DatasetError(f"{self._artifact_file} not saved in this run")
        return self._data

    def _describe(self) -> dict[str, Any]:
        return {"artifact_file": self._artifact_file}


class MlflowJsonDataset(_MlflowArtifactDataset):
    """Save a dict as a JSON artifact of the active run (no metrics: a report whose
    numbers are logged as metrics elsewhere)."""

    def _log(self, data: dict) -> None:
        mlflow.log_dict(data, self._artifact_file)


class MlflowFigureDataset(_MlflowArtifactDataset):
    """Save a matplotlib figure as an artifact of the active run (load: the closed
    figure)."""

    def save(self, data: Any) -> None:
        super().save(data)
        plt.close(data)

    def _log(self, data: Any) -> None:
        mlflow.log_figure(data, self._artifact_file)


class ChampionModelDataset(AbstractDataset[None, dict | None]):
    """Load the site's ``models:/windpower-<site>@<alias>`` as ``{"model",
    "version", "run_id", "farm_band"}``.

    Args:
        site: The site whose model it is (``store.sites.model_name``).
        alias: Alias to resolve.

    Load returns None when the model or alias does not exist (the nodes decide
    what that means); any other MLflow error (server down) is raised, never
    read as "no champion".
    """

    def __init__(self, site: str, alias: str = "champion"):
        self._name, self._alias = model_name(site), alias

    def load(self) -> dict | None:
        version = resolve_alias(self._name, self._alias)
        if version is None:
            return None
        # Load the resolved version, not the alias: the alias may move meanwhile.
        model = mlflow.pyfunc.load_model(f"models:/{self._name}/{version.version}")
        # The farm total's band (windpower.farm_total): trained with the model.
        band = getattr(model.unwrap_python_model(), "bundle", {}).get("farm_band")
        return {"model": model, "version": int(version.version),
                "run_id": version.run_id, "farm_band": band}

    def save(self, data: None) -> None:
        raise DatasetError("the champion is set by the registered model dataset")

    def _describe(self) -> dict[str, Any]:
        return {"model_name": self._name, "alias": self._alias}


def resolve_alias(model_name: str, alias: str = "champion") -> Any | None:
    """The model version carrying ``alias``, or None if the model or alias is
    missing; any other MLflow error (server down) is raised."""
    try:
        return mlflow.MlflowClient().get_model_version_by_alias(model_name, alias)
    except MlflowException as exc:
        if exc.error_code not in _MISSING:
            raise
        return None
