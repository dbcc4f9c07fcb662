"""One MLflow run around every Kedro run that trains or monitors a model."""

import logging
from typing import Any

import mlflow
from kedro.framework.hooks import hook_impl
from kedro.io import CatalogProtocol
from kedro.pipeline import Pipeline

logger = logging.getLogger(__name__)
EXPERIMENT = "windpower-training"
EXPERIMENT_KIND = "custom_model_development"
TRAINING_TAG = "training"
# Node tag -> experiment of the run opened around a pipeline with such a node.
EXPERIMENTS = {TRAINING_TAG: EXPERIMENT, "monitoring": "windpower-monitoring"}
MAX_PARAM_LENGTH = 500


def _session_id(run_params: dict[str, Any]) -> str:
    """The Kedro session id (Kedro 1.x passes it as ``run_id``)."""
    return str(run_params.get("session_id") or run_params.get("run_id"))


def _prefect_flow_run_id() -> str | None:
    """The id of the Prefect flow run this Kedro run is part of, if any."""
    from prefect.runtime import flow_run  # noqa: PLC0415 (kedro run needs no Prefect)

    return flow_run.id


class MlflowRunHook:
    """Open an MLflow run before a training or monitoring pipeline, close it after.

    The run goes to the experiment of the first tag of ``EXPERIMENTS`` a node
    carries; it is tagged ``kedro_session_id``; all ``params:`` of the run are
    logged as flat parameters. Pipelines without such a node (data processing
    alone, inference) get no run. ``MLFLOW_TRACKING_URI`` and
    ``MLFLOW_RUN_ID`` (resume a run) are honoured by MLflow itself.
    """

    def __init__(self) -> None:
        self._owns_run = False

    @hook_impl
    def before_pipeline_run(self, run_params: dict[str, Any], pipeline: Pipeline,
                            catalog: CatalogProtocol) -> None:
        self._owns_run = False
        experiment = _experiment(pipeline)
        if experiment is None:
            return
        runtime = run_params.get("runtime_params") or {}
        site = runtime.get("site")
        if mlflow.active_run() is None:
            mlflow.set_experiment(experiment)
            # Without this MLflow 3's UI opens the experiment as a GenAI (traces)
            # page; this is model training, so show the runs, metrics and plots.
            mlflow.set_experiment_tag("mlflow.experimentKind", EXPERIMENT_KIND)
            # Named after its site, so the runs list reads per farm.
            mlflow.start_run(run_name=site)
            self._owns_run = True
        if site:
            mlflow.set_tag("windpower.site", str(site))
        mlflow.set_tag("kedro_session_id", _session_id(run_params))
        mlflow.set_tag("kedro_pipelines", ",".join(
            run_params.get("pipeline_names") or ["__default__"]))
        if as_of := runtime.get("as_of"):
            # The simulated time the run saw (a replay's, or the flow's now).
            mlflow.set_tag("windpower.as_of", str(as_of))
        if flow_run_id := _prefect_flow_run_id():
            # Which Prefect run made this MLflow run, whatever worker or host ran it.
            mlflow.set_tag("prefect_flow_run_id", flow_run_id)
        mlflow.log_params(self._params(catalog))
        logger.info("MLflow run %s", mlflow.active_run().info.run_id)

    @staticmethod
    def _params(catalog: CatalogProtocol) -> dict[str, str]:
        params = {}
        for name in catalog.filter(name_regex=r"^params:[^.]+$"):
            value = catalog.load(name)
            key = name.removeprefix("params:")
            if isinstance(value, dict):
                for sub, item in _flatten(value, f"{key}.").items():
                    params[sub] = str(item)[:MAX_PARAM_LENGTH]
        return params

    @hook_impl
    def after_pipeline_run(self, run_params: dict[str, Any], run_result: dict,
                           pipeline: Pipeline, catalog: CatalogProtocol) -> None:
        if self._owns_run:
            mlflow.end_run("FINISHED")
            self._owns_run = False

    @hook_impl
    def on_pipeline_error(self, error: Exception, run_params: dict[str, Any],
                          pipeline: Pipeline, catalog: CatalogProtocol) -> None:
        if not self._owns_run:
            return
        self._owns_run = False
        # MLflow may be the reason the pipeline failed: never let this bookkeeping
        # replace the node's error (which names the node) with MLflow's own.
        try:
            mlflow.set_tag("error", str(error)[:MAX_PARAM_LENGTH])
            mlflow.end_run("FAILED")
        except Exception as exc:  # noqa: BLE001
            logger.warning("could not mark the MLflow run FAILED: %s", exc)


def _experiment(pipeline: Pipeline) -> str | None:
    """The experiment of the first ``EXPERIMENTS`` tag found on a node, if any."""
    tags = set().union(*(node.tags for node in pipeline.nodes))
    return next((name for tag, name in EXPERIMENTS.items() if tag in tags), None)


def _flatten(data: dict, prefix: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict):
            out.update(_flatten(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out
