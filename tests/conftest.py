"""Shared fixtures: a small demo farm's data, project parameters, a temporary MLflow
and a temporary Prefect server.

The data, the data_processing outputs and the small trained model are built once
per session and shared: tests must treat them as read-only.
"""

import contextlib
import functools
import shutil
import socket
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import mlflow
import pandas as pd
import pytest
from kedro.config import OmegaConfigLoader
from prefect.server.api.server import SubprocessASGIServer
from prefect.settings import PREFECT_SERVER_DATABASE_CONNECTION_URL, temporary_settings

from tests import background
from tests.internals import forget_active_experiment, prefect_harness_on, track_to
from windpower import settings
from windpower.contract import check_turbines
from windpower.demo_farm import DemoFarm
from windpower.orchestration.internals import MLFLOW_ARTIFACT_ROOT_ENV

PROJECT = Path(__file__).resolve().parents[1]
END = pd.Timestamp("2026-03-01T00:00:00Z")


def load_params(pipeline: str) -> dict:
    """The project's parameters for one pipeline, resolved as a run sees them."""
    loader = OmegaConfigLoader(str(PROJECT / "conf"), **settings.CONFIG_LOADER_ARGS)
    return loader["parameters"][pipeline]


@functools.cache
def prefect_server_port() -> int:
    """The port the session's Prefect server is created for, free when chosen (the
    server moves on if it is taken by then, and keeps this one as its key)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@background.background_fixture()
def prefect_server_process() -> SubprocessASGIServer:
    """The temporary Prefect server's process, started in the background: its
    start (a sqlite database migrated from scratch) takes 10-15 s."""
    database = background.temporary_directory("prefect-test-") / "prefect.db"
    server = SubprocessASGIServer(port=prefect_server_port())
    # The process reads its database from the settings at start.
    with temporary_settings({PREFECT_SERVER_DATABASE_CONNECTION_URL:
                             f"sqlite+aiosqlite:///{database}"}):
        server.start(timeout=120)
    background.stop_at_session_end(server.stop)
    return server


@pytest.fixture(scope="session")
def prefect_server(prefect_server_process) -> Iterator[None]:
    """One temporary Prefect server (sqlite) for the whole session; the tests that
    run flows ask for it, so server-free tests never start it."""
    # Scenarios set up on the server in the background (tests/orchestration/
    # test_setup.py) finish before any test here runs flows on it.
    background.wait_for_users_of("prefect_server_process")
    with prefect_harness_on(prefect_server_port()):
        yield


@pytest.fixture(scope="session")
def small_data() -> dict[str, pd.DataFrame]:
    """60 days of 3 dirty turbines plus the 12 h forecast issued at their end
    (read-only!)."""
    return DemoFarm(seed=7, n_turbines=3).dataset(END, days=60, forecast_hours=12)


@pytest.fixture
def turbines(small_data) -> pd.DataFrame:
    return check_turbines(small_data["turbines"])


@pytest.fixture
def dp_params() -> dict:
    return load_params("data_processing")


def fast_training_params() -> dict:
    """Training parameters made fast for tests (same structure as conf/base)."""
    params = load_params("training")
    params["threads"] = 1  # as in tests/project_copy.py: faster on small data
    params["estimator"] |= {"max_iter": 40, "early_stopping": False}
    params["ablation"] |= {"max_rows": 5000}
    params["ablation"]["estimator"] |= {"max_iter": 10}
    return params


@pytest.fixture
def training_params() -> dict:
    """Fast training parameters, a fresh copy for each test."""
    return fast_training_params()


@functools.cache
def _new_mlflow_database() -> Path:
    """An MLflow sqlite store as MLflow creates it, made once per session: creating
    one runs MLflow's migrations (~1 s), copying it takes 0.02 s."""
    directory = background.temporary_directory("mlflow-store-")
    database = directory / "mlflow.db"
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(directory)  # the default experiment's artifacts: ./mlruns/0
        patch.delenv(MLFLOW_ARTIFACT_ROOT_ENV, raising=False)
        mlflow.MlflowClient(f"sqlite:///{database}").search_experiments()
    return database


def use_mlflow_store(tmp_path, monkeypatch: pytest.MonkeyPatch) -> str:
    """Point MLflow at a new sqlite store under ``tmp_path``; returns its URI."""
    monkeypatch.chdir(tmp_path)
    database = tmp_path / "mlflow.db"
    template = _new_mlflow_database()
    shutil.copyfile(template, database)
    with contextlib.closing(sqlite3.connect(database)) as connection, connection:
        moved = connection.execute(  # the default experiment, as if created here
            "UPDATE experiments"
            " SET artifact_location = replace(artifact_location, ?, ?)"
            " WHERE artifact_location LIKE ? || '%'",
            (str(template.parent), str(tmp_path), str(template.parent)))
        assert moved.rowcount == 1, "the default experiment is not under the template"
    uri = f"sqlite:///{database}"
    track_to(uri, monkeypatch)
    forget_active_experiment(monkeypatch)
    return uri


@pytest.fixture
def mlflow_store(tmp_path, monkeypatch) -> str:
    """A temporary sqlite MLflow store (artifacts under tmp_path)."""
    yield use_mlflow_store(tmp_path, monkeypatch)
    while mlflow.active_run():
        mlflow.end_run()


@pytest.fixture(scope="session")
def model_tables(small_data) -> dict:
    """data_processing outputs on the small data (10-day holdout; read-only!)."""
    from windpower.pipelines.data_processing import nodes  # noqa: PLC0415

    params = dict(load_params("data_processing"), holdout_days=10)
    turbines = nodes.validate_turbines(small_data["turbines"])
    valid, _, report = nodes.validate_readings(small_data["scada"], turbines, params)
    flagged = nodes.flag_operation(valid, turbines, params)
    table = nodes.build_model_input(flagged, turbines, params)
    train, holdout = nodes.split_by_time(table, params)
    return {"turbines": turbines, "train_table": train, "holdout_table": holdout,
            "data_quality_report": report}


@pytest.fixture(scope="session")
def trained_bundle(model_tables) -> dict:
    """A small model trained on the small data, once per session (read-only!)."""
    from windpower.pipelines.training.nodes import (  # noqa: PLC0415
        fit_baseline,
        train_model,
    )

    params = fast_training_params()
    curve = fit_baseline(model_tables["train_table"], params)
    return train_model(model_tables["train_table"], curve, model_tables["turbines"],
                       params, load_params("data_processing")["features"])


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "run_last: ordered last in the session (a scenario started early "
        "and checked late, so its wait overlaps the other tests)")


def pytest_collection_modifyitems(config: pytest.Config,
                                  items: list[pytest.Item]) -> None:
    """The running stack's tests only when asked for; server-free tests first,
    while the servers start in the background; then the tests that need them;
    run_last ones at the end."""
    _skip_stack_tests_unless_selected(config, items)

    def rank(item: pytest.Item) -> int:
        if item.get_closest_marker("run_last"):
            return 2
        return 1 if background.needs_background(item) else 0

    items.sort(key=rank)  # stable: tests keep their order within a rank


def _skip_stack_tests_unless_selected(config: pytest.Config,
                                      items: list[pytest.Item]) -> None:
    """The e2e tests run deployments on the running stack: they train and register
    model versions there. A user's `pytest` after `docker compose up` tests the
    code and leaves their stack alone; `-m e2e` asks for the stack's tests."""
    if "e2e" in (config.getoption("markexpr") or ""):
        return
    skip = pytest.mark.skip(reason="tests the running stack, training and "
                            "registering models there: select with `-m e2e`")
    for item in items:
        if item.get_closest_marker("e2e"):
            item.add_marker(skip)


def pytest_itemcollected(item: pytest.Item) -> None:
    background.begin_while_collecting(item)


def pytest_collection_finish(session: pytest.Session) -> None:
    background.begin_for(session.items)


@pytest.hookimpl(trylast=True)  # after pytest has torn the session fixtures down
def pytest_sessionfinish() -> None:
    background.stop_all()
