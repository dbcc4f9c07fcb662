"""MLflow run information as data: the champion's training run, run tags."""

import logging
from typing import Any

import mlflow
from kedro.io import AbstractDataset, DatasetError

from windpower.datasets.mlflow_datasets import resolve_alias
from windpower.store.sites import model_name

logger = logging.getLogger(__name__)


class ChampionRunDataset(AbstractDataset[None, dict | None]):
    """The training run behind the site's ``models:/windpower-<site>@<alias>``.

    Load returns ``{"version", "run_id", "metrics", "params", "tags",
    "start_time"}`` (start time in ms since the epoch, as MLflow gives it), or
    None when there is no such alias (as ``ChampionModelDataset`` does).
    """

    def __init__(self, site: str, alias: str = "champion"):
        self._name, self._alias = model_name(site), alias

    def load(self) -> dict | None:
        version = resolve_alias(self._name, self._alias)
        if version is None:
            return None
        run = mlflow.MlflowClient().get_run(version.run_id)
        return {"version": int(version.version), "run_id": version.run_id,
                "metrics": dict(run.data.metrics), "params": dict(run.data.params),
                "tags": dict(run.data.tags), "start_time": run.info.start_time}

    def save(self, data: None) -> None:
        raise DatasetError("the champion's run is written by training")

    def _describe(self) -> dict[str, Any]:
        return {"model_name": self._name, "alias": self._alias}


class MlflowTagsDataset(AbstractDataset[dict, dict]):
    """Save a flat dict as tags of the active run (the project hook opens it)."""

    def __init__(self) -> None:
        self._tags: dict | None = None

    def save(self, data: dict) -> None:
        self._tags = {str(k): str(v) for k, v in data.items()}
        if mlflow.active_run() is not None:
            mlflow.set_tags(self._tags)

    def load(self) -> dict:
        if self._tags is None:
            raise DatasetError("tags not saved in this run")
        return self._tags

    def _describe(self) -> dict[str, Any]:
        return {}
