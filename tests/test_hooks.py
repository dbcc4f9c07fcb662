"""The MLflow run hook: one run around training pipelines only."""

import mlflow
import pytest
from kedro.io import DataCatalog, MemoryDataset
from kedro.pipeline import Node, Pipeline
from mlflow.entities import Run

from windpower.hooks import MlflowRunHook

pytestmark = pytest.mark.unit


def _identity(x: int) -> int:
    return x


def _pipeline(tag: str) -> Pipeline:
    return Pipeline([Node(func=_identity, inputs="a", outputs="b", name="n")],
                    tags=tag)


@pytest.fixture
def catalog() -> DataCatalog:
    return DataCatalog({"params:training": MemoryDataset({"lr": 0.1,
                                                          "nested": {"k": 2}})})


def _run_around(pipeline: str, session_id: str, catalog: DataCatalog) -> Run:
    """The MLflow run the hook opens before ``pipeline`` and closes after it."""
    hook = MlflowRunHook()
    params = {"run_id": session_id, "pipeline_names": [pipeline]}
    hook.before_pipeline_run(params, _pipeline(pipeline), catalog)
    run_id = mlflow.active_run().info.run_id
    hook.after_pipeline_run(params, {}, _pipeline(pipeline), catalog)
    return mlflow.get_run(run_id)


def test_hook_opens_tags_and_finishes_run(mlflow_store, catalog):
    run = _run_around("training", "2026-01-01T00.00.00.000Z", catalog)
    assert mlflow.active_run() is None
    assert run.info.status == "FINISHED"
    assert run.data.tags["kedro_session_id"] == "2026-01-01T00.00.00.000Z"
    assert run.data.params == {"training.lr": "0.1", "training.nested.k": "2"}
    experiment = mlflow.get_experiment(run.info.experiment_id)
    assert experiment.name == "windpower-training"


def test_hook_marks_failed_run(mlflow_store, catalog):
    hook = MlflowRunHook()
    params = {"run_id": "s1"}
    hook.before_pipeline_run(params, _pipeline("training"), catalog)
    run_id = mlflow.active_run().info.run_id
    hook.on_pipeline_error(RuntimeError("boom"), params, _pipeline("training"),
                           catalog)
    assert mlflow.get_run(run_id).info.status == "FAILED"


def test_hook_ignores_pipelines_without_training(mlflow_store, catalog):
    hook = MlflowRunHook()
    hook.before_pipeline_run({"run_id": "s"}, _pipeline("inference"), catalog)
    assert mlflow.active_run() is None
    hook.after_pipeline_run({"run_id": "s"}, {}, _pipeline("inference"), catalog)


def test_hook_opens_monitoring_runs_in_their_own_experiment(mlflow_store, catalog):
    run = _run_around("monitoring", "m1", catalog)
    assert run.info.status == "FINISHED"
    assert mlflow.get_experiment(run.info.experiment_id).name == "windpower-monitoring"
