"""Canaries: one per private framework internal still used (by
windpower.orchestration.internals, tests/internals.py, the Kedro runner and the
forkserver). Each fails naming the internal and the installed version, so an
upgrade says what it broke instead of failing somewhere downstream."""

import importlib
import inspect
import logging
from pathlib import Path
from types import ModuleType

import kedro
import mlflow
import prefect
import prefect.flow_engine
import pytest
from kedro.io import DataCatalog, MemoryDataset
from kedro.pipeline import Node, Pipeline
from kedro.runner import AbstractRunner, SequentialRunner

from tests.internals import forget_active_experiment, track_to
from windpower.orchestration.internals import (
    MLFLOW_ARTIFACT_ROOT_ENV,
    MLFLOW_SERVER_SPAWN,
    suggest_resume,
)
from windpower.orchestration.kedro.runner import PrefectTaskRunner

pytestmark = pytest.mark.unit
KEDRO = f"kedro {kedro.__version__}"
MLFLOW = f"mlflow {mlflow.__version__}"
PREFECT = f"prefect {prefect.__version__}"


def _module(name: str, package: str) -> ModuleType:
    try:
        return importlib.import_module(name)
    except ImportError:
        pytest.fail(f"{package} no longer has the module {name}")


def test_kedro_runners_still_implement_run_and_get_executor() -> None:
    where = "PrefectTaskRunner (orchestration/kedro/runner.py) implements them"
    abstract = AbstractRunner.__abstractmethods__
    assert abstract == {"_run", "_get_executor"}, (
        f"{KEDRO}: AbstractRunner's abstract methods are now {sorted(abstract)}, "
        f"not _run and _get_executor; {where}")
    assert "self._run(" in inspect.getsource(AbstractRunner.run), (
        f"{KEDRO}: AbstractRunner.run no longer calls self._run; {where}")
    assert vars(PrefectTaskRunner()).get("_is_async") is False, (
        f"{KEDRO}: AbstractRunner.__init__ no longer sets _is_async, which "
        "PrefectTaskRunner hands to each node's Task")


def test_kedro_runners_still_suggest_how_to_resume() -> None:
    name = "AbstractRunner._suggest_resume_scenario"
    method = getattr(AbstractRunner, "_suggest_resume_scenario", None)
    assert method is not None, (
        f"{KEDRO} no longer has {name} (windpower.orchestration.internals."
        "suggest_resume)")
    first = Node(lambda x: x, "a", "b", name="first")
    pipeline = Pipeline([first, Node(lambda x: x, "b", "c", name="second")])
    catalog = DataCatalog(datasets={"a": MemoryDataset(1)})
    # On the runner's own logger: Kedro's logging set-up may stop propagation.
    said: list[str] = []
    handler = logging.Handler(logging.WARNING)
    handler.emit = lambda record: said.append(record.getMessage())
    log = logging.getLogger(SequentialRunner.__module__)
    log.addHandler(handler)
    try:
        suggest_resume(SequentialRunner(), pipeline, [first], catalog)
    finally:
        log.removeHandler(handler)
    assert any("--from-nodes" in line for line in said), (
        f"{KEDRO}: {name}{inspect.signature(method)} no longer logs the "
        f"--from-nodes that resumes a failed run: {said}")


def test_mlflow_client_still_reads_the_servers_artifact_root(
    mlflow_store: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "artifact-root"
    monkeypatch.setenv(MLFLOW_ARTIFACT_ROOT_ENV, str(root))
    experiment_id = mlflow.MlflowClient().create_experiment("canary")
    location = mlflow.MlflowClient().get_experiment(experiment_id).artifact_location
    assert str(root) in location, (
        f"{MLFLOW} no longer takes a database store's artifact root from "
        f"{MLFLOW_ARTIFACT_ROOT_ENV} (new experiment's location: {location}); "
        "windpower.orchestration.internals.use_mlflow_artifact_root needs another way")


def test_mlflow_server_still_starts_its_web_server_with_exec_cmd() -> None:
    server = _module("mlflow.server", MLFLOW)
    assert callable(getattr(server, MLFLOW_SERVER_SPAWN, None)), (
        f"{MLFLOW}: mlflow.server has no {MLFLOW_SERVER_SPAWN} any more; "
        "windpower.orchestration.internals.serve_mlflow_in_place needs another way")
    source = inspect.getsource(server._run_server)
    assert f"{MLFLOW_SERVER_SPAWN}(" in source and "extra_env=" in source, (
        f"{MLFLOW}: mlflow.server._run_server no longer starts its web server with "
        f"{MLFLOW_SERVER_SPAWN}(..., extra_env=...); serve_mlflow_in_place would "
        "leave MLflow's parent process running beside it")


def test_mlflow_still_keeps_a_uri_set_in_code_in_tracking_uri(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    name = "mlflow.tracking._tracking_service.utils._tracking_uri"
    utils = _module("mlflow.tracking._tracking_service.utils", MLFLOW)
    assert hasattr(utils, "_tracking_uri"), (
        f"{MLFLOW} no longer has {name} (tests/internals.py: track_to)")
    monkeypatch.setattr(utils, "_tracking_uri", "sqlite:///set-in-code.db")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "sqlite:///from-env.db")
    assert mlflow.get_tracking_uri() == "sqlite:///set-in-code.db", (
        f"{MLFLOW} no longer keeps a URI set in code in {name}")
    track_to("sqlite:///wanted.db", monkeypatch)
    assert mlflow.get_tracking_uri() == "sqlite:///wanted.db", (
        f"{MLFLOW}: clearing {name} no longer lets MLFLOW_TRACKING_URI rule")


def test_mlflow_still_caches_the_active_experiment_id(
    mlflow_store: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = "mlflow.tracking.fluent._active_experiment_id"
    fluent = _module("mlflow.tracking.fluent", MLFLOW)
    assert hasattr(fluent, "_active_experiment_id"), (
        f"{MLFLOW} no longer has {name} (tests/internals.py: "
        "forget_active_experiment)")
    # Set, then deleted: monkeypatch then removes what set_experiment sets.
    monkeypatch.setenv("MLFLOW_EXPERIMENT_ID", "")
    monkeypatch.delenv("MLFLOW_EXPERIMENT_ID")
    experiment = mlflow.set_experiment("canary")
    assert fluent._active_experiment_id == experiment.experiment_id, (
        f"{MLFLOW}: set_experiment no longer caches the experiment id in {name}")
    forget_active_experiment(monkeypatch)
    with mlflow.start_run() as run:
        assert run.info.experiment_id == "0", (
            f"{MLFLOW}: a run still goes to the forgotten experiment")


def test_prefect_test_harness_still_picks_its_port_with_find_available_port(
) -> None:
    name = "prefect.testing.utilities._find_available_port"
    utilities = _module("prefect.testing.utilities", PREFECT)
    assert callable(getattr(utilities, "_find_available_port", None)), (
        f"{PREFECT} no longer has {name} (tests/internals.py: prefect_harness_on)")
    assert "_find_available_port()" in inspect.getsource(
        utilities.prefect_test_harness), (
        f"{PREFECT}: prefect_test_harness no longer picks its port with {name}, so "
        "tests/internals.py: prefect_harness_on would start a second server")


def test_prefect_services_still_share_one_base_that_stops_them_all() -> None:
    name = "prefect._internal.concurrency.services._QueueServiceBase"
    services = _module("prefect._internal.concurrency.services", PREFECT)
    base = getattr(services, "_QueueServiceBase", None)
    assert callable(getattr(base, "drain_all", None)), (
        f"{PREFECT} no longer has {name}.drain_all (tests/internals.py: "
        "stop_prefect_services)")
    from prefect.events.worker import EventsWorker  # noqa: PLC0415
    from prefect.logging.handlers import APILogWorker  # noqa: PLC0415

    for service in (EventsWorker, APILogWorker):
        assert issubclass(service, base), (
            f"{PREFECT}: {service.__name__} is no longer a {name}, so "
            "stop_prefect_services leaves it running")


def test_prefect_flow_engine_still_starts_runs_with_its_multiprocessing() -> None:
    engine = prefect.flow_engine
    where = ("windpower.orchestration.serving.forkserver relies on it to fork "
             "served runs")
    assert isinstance(getattr(engine, "multiprocessing", None), ModuleType), (
        f"{PREFECT}: prefect.flow_engine no longer imports multiprocessing; {where}")
    start = getattr(engine, "run_flow_in_subprocess", None)
    assert callable(start), (
        f"{PREFECT} no longer has prefect.flow_engine.run_flow_in_subprocess; "
        f"{where}")
    assert "multiprocessing.get_context(" in inspect.getsource(start), (
        f"{PREFECT}: run_flow_in_subprocess no longer starts runs with "
        f"multiprocessing.get_context; {where}")
