"""Log the self-contained model to MLflow, register it and give it its alias."""

import logging
import pickle
import tempfile
from pathlib import Path
from typing import Any

import mlflow
import numpy as np
import pandas as pd
import sklearn
from kedro.io import AbstractDataset, DatasetError
from mlflow.models import ModelSignature, infer_signature

from windpower import forecast_model
from windpower.store.sites import model_name

logger = logging.getLogger(__name__)


def _requirements() -> list[str]:
    """Pinned runtime requirements of the logged model (no windpower package)."""
    return [f"mlflow=={mlflow.__version__}", f"pandas=={pd.__version__}",
            f"numpy=={np.__version__}", f"scikit-learn=={sklearn.__version__}"]


def _signature(output: pd.DataFrame) -> ModelSignature:
    """Outputs only: no input schema, so MLflow checks no input value per call.

    ``timestamp`` comes zone-aware, naive (UTC) or as ISO-8601 strings. MLflow's
    ``datetime`` type refuses the first and the last; ``AnyType`` takes all three
    but MLflow then checks every value in a Python loop (9 s of a 1M-row batch,
    more than the model itself). The model checks its columns and parses
    timestamps itself, vectorised (``forecast_model._p50``), and the logged input
    example documents the columns.
    """
    return ModelSignature(outputs=infer_signature(None, output).outputs)


class RegisteredModelDataset(AbstractDataset[dict, dict]):
    """Save ``{"bundle", "alias", "input_example"}``: log, register, alias, tag.

    Load returns what the save registered: ``{"version", "run_id", "alias",
    "model_uri"}``, so a downstream node can summarise the run.

    Args:
        site: The site whose model it is: registered as ``windpower-<site>``
            (``store.sites.model_name``).
        artifact_name: Name of the logged model inside the run.
    """

    def __init__(self, site: str, artifact_name: str = "model"):
        self._name, self._artifact = model_name(site), artifact_name
        self._info: dict | None = None

    def save(self, data: dict) -> None:
        run = mlflow.active_run()
        if run is None:
            raise DatasetError("registering a model needs the active MLflow run "
                               "opened by the project hook")
        example = data["input_example"]
        signature = _signature(forecast_model.predict_frame(data["bundle"], example))
        with tempfile.TemporaryDirectory() as tmp:
            bundle_path = Path(tmp) / "bundle.pkl"
            bundle_path.write_bytes(pickle.dumps(data["bundle"]))
            info = mlflow.pyfunc.log_model(
                name=self._artifact, python_model=forecast_model.__file__,
                artifacts={"bundle": str(bundle_path)}, signature=signature,
                input_example=example, registered_model_name=self._name,
                pip_requirements=_requirements())
        version = str(info.registered_model_version)
        mlflow.MlflowClient().set_registered_model_alias(
            self._name, data["alias"], version)
        mlflow.set_tags({"windpower.model_version": version,
                         "windpower.alias": data["alias"]})
        logger.info("registered %s version %s as @%s", self._name, version,
                    data["alias"])
        self._info = {"name": self._name, "version": int(version),
                      "run_id": run.info.run_id,
                      "alias": data["alias"], "model_uri": info.model_uri}

    def load(self) -> dict:
        if self._info is None:
            raise DatasetError("no model registered in this run")
        return self._info

    def _describe(self) -> dict[str, Any]:
        return {"model_name": self._name}
