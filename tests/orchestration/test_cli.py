"""The run/serve command line: configuration from the environment, which servers
a run uses, and how it ends."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from inference_flow import inference_flow
from ingest_flow import ingest_flow
from monitoring_flow import monitoring_flow
from prefect import flow
from prefect.settings import PREFECT_API_URL, temporary_settings
from training_flow import training_flow

from tests.background import (
    background_fixture,
    session_environment,
    temporary_directory,
)
from windpower.errors import ContractError
from windpower.orchestration.internals import MLFLOW_ARTIFACT_ROOT_ENV
from windpower.orchestration.serving.cli import main, run_once
from windpower.orchestration.serving.deployments import ServeConfig
from windpower.orchestration.serving.environment import serve_config_from_env
from windpower.orchestration.serving.events import DEGRADED_EVENT, MISSING_EVENT
from windpower.orchestration.serving.outcome import EXIT_UNREACHABLE
from windpower.orchestration.serving.servers import (
    WAIT_ENV,
    ServerUnreachableError,
    configured_mlflow,
    configured_prefect_api,
)

pytestmark = pytest.mark.unit

DEFAULTS = ServeConfig(
    name="training-flow",
    interval_minutes=60,
    tags=["windpower"],
)
UNREACHABLE = "http://127.0.0.1:9"  # discard port: nothing listens


def test_serve_config_from_env_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TRAINING_SCHEDULE_CRON", raising=False)
    config = serve_config_from_env("TRAINING", DEFAULTS)
    assert config == DEFAULTS
    (schedule,) = config.schedules()
    assert schedule.interval == timedelta(minutes=60)


def test_serve_config_from_env_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRAINING_SCHEDULE_CRON", "0 3 * * *")
    monkeypatch.setenv("TRAINING_PARAMETERS", '{"kedro_env": "local"}')
    monkeypatch.setenv("TRAINING_TAGS", "a, b")
    monkeypatch.setenv("TRAINING_EVENTS", "")
    config = serve_config_from_env("TRAINING", DEFAULTS)
    assert config.parameters == {"kedro_env": "local"}
    assert config.tags == ["a", "b"]
    assert config.events == ()
    assert config.triggers() == []
    assert config.schedules()[0].cron == "0 3 * * *"


def test_serve_config_triggers_carry_the_event_time() -> None:
    config = ServeConfig(name="x", events=(MISSING_EVENT, DEGRADED_EVENT),
                         retrain_cooldown_hours=6)
    missing, degraded = config.triggers()
    assert missing.expect == {MISSING_EVENT}
    assert degraded.expect == {DEGRADED_EVENT}
    # The triggered run trains the event's site, at the time the event speaks of,
    # not the wall clock's.
    assert missing.parameters == degraded.parameters == {
        "as_of": "{{ event.payload.as_of }}", "site": "{{ event.payload.site }}"}
    assert degraded.within == timedelta(hours=6)  # at most one retraining per 6 h
    # ... per site: each site's model is its own resource, with its own bucket.
    assert degraded.for_each == {"prefect.resource.id"}
    assert degraded.match.get("prefect.resource.id") == ["windpower.model.*"]


def test_main_help_explains_both_commands(capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(training_flow, DEFAULTS, argv=["--help"])
    out = capsys.readouterr().out
    assert exit_info.value.code == 0
    assert "run" in out and "serve" in out
    # The variables are named after the flow: training-flow reads TRAINING_*.
    assert "TRAINING_SCHEDULE_INTERVAL_MINUTES" in out
    assert "3  an input file was refused by the data contract" in out


@pytest.mark.parametrize(
    "served", [training_flow, inference_flow, ingest_flow, monitoring_flow],
    ids=lambda served: served.name)
def test_served_flows_describe_every_parameter_in_the_run_form(served) -> None:
    # The deployment's parameter schema is the form of "Run > Custom run" in the UI.
    fields = served.parameters.model_dump()["properties"]
    # Ingest covers every site in one run; the others run per site.
    per_site = {"site"} if served is not ingest_flow else set()
    assert set(fields) == {"as_of", "kedro_env", "params"} | per_site
    assert all(field.get("description") for field in fields.values()), fields
    assert all(field["default"] is None for field in fields.values()), fields


def test_configured_prefect_api_unreachable_fails_naming_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(WAIT_ENV, "1")
    with temporary_settings(updates={PREFECT_API_URL: f"{UNREACHABLE}/api"}):
        with pytest.raises(ServerUnreachableError, match=f"{UNREACHABLE}/api"):
            with configured_prefect_api():
                pytest.fail("ran without the configured Prefect API")


def test_configured_mlflow_unreachable_fails_naming_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", UNREACHABLE)
    monkeypatch.setenv(WAIT_ENV, "1")
    with pytest.raises(ServerUnreachableError, match="MLFLOW_TRACKING_URI"):
        configured_mlflow(tmp_path)
    assert os.environ["MLFLOW_TRACKING_URI"] == UNREACHABLE
    assert not (tmp_path / "mlflow.db").exists()


def test_configured_mlflow_waits_for_a_server_still_starting(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    server = HTTPServer(("127.0.0.1", 0), _Healthy)
    uri = f"http://127.0.0.1:{server.server_port}"
    server.server_close()  # the port is known, nothing listens yet
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    monkeypatch.setenv(WAIT_ENV, "30")
    late = threading.Timer(1.5, _serve_health, args=(server.server_port,))
    late.start()
    started = time.monotonic()
    try:
        assert configured_mlflow(tmp_path) is None
    finally:
        late.join()
    assert time.monotonic() - started >= 1.2, "answered before the server was up"
    assert os.environ["MLFLOW_TRACKING_URI"] == uri


def test_configured_mlflow_unset_tracks_to_local_sqlite(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    # Set, then deleted: monkeypatch then removes the value configured_mlflow sets.
    monkeypatch.setenv(MLFLOW_ARTIFACT_ROOT_ENV, "")
    monkeypatch.delenv(MLFLOW_ARTIFACT_ROOT_ENV)
    uri = configured_mlflow(tmp_path)
    assert uri == f"sqlite:///{tmp_path / 'mlflow.db'}"
    assert os.environ["MLFLOW_TRACKING_URI"] == uri


def test_configured_mlflow_sqlite_uri_keeps_artifacts_next_to_the_db(
    mlflow_store: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import mlflow  # noqa: PLC0415 (slow import, only this test needs it)

    database = tmp_path / "store" / "m.db"
    database.parent.mkdir()
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{database}")
    # Set, then deleted: monkeypatch then removes the value configured_mlflow sets.
    monkeypatch.setenv(MLFLOW_ARTIFACT_ROOT_ENV, "")
    monkeypatch.delenv(MLFLOW_ARTIFACT_ROOT_ENV)
    read_only = tmp_path / "read-only"  # the working directory, as /app in the image
    read_only.mkdir(mode=0o555)
    monkeypatch.chdir(read_only)
    assert configured_mlflow(tmp_path / "fallback") is None
    with mlflow.start_run():
        mlflow.log_dict({"a": 1}, "a.json")
    assert list((database.parent / "mlartifacts").rglob("a.json"))


class _Healthy(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def _serve_health(port: int) -> None:
    server = HTTPServer(("127.0.0.1", port), _Healthy)
    threading.Thread(target=server.serve_forever, daemon=True).start()


def _run_training_flow(env: dict[str, str], timeout: float = 600
                       ) -> subprocess.CompletedProcess[str]:
    """``python services/prefect/training_flow.py run``, output and errors merged;
    no server configured unless ``env`` names one."""
    project = Path(__file__).resolve().parents[2]
    base = {k: v for k, v in session_environment().items()
            if k not in {"PREFECT_API_URL", "MLFLOW_TRACKING_URI", "LOG_LEVEL"}}
    return subprocess.run(
        [sys.executable, "services/prefect/training_flow.py", "run"],
        cwd=project, env=base | env, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True, timeout=timeout, check=False)


@background_fixture("prefect_server_process")
def unreachable_mlflow_run(server) -> tuple[Path, subprocess.CompletedProcess[str]]:
    """A training run with an MLflow server that never answers, in the background
    (a fresh process takes ~4 s); returns where a fallback store would have gone."""
    fallback = temporary_directory("fallback-") / "mlflow"
    return fallback, _run_training_flow({
        "PREFECT_API_URL": server.api_url,  # the session's test server
        "MLFLOW_TRACKING_URI": UNREACHABLE, WAIT_ENV: "2",
        "MLFLOW_FALLBACK_DIR": str(fallback)}, timeout=120)


def test_run_with_mlflow_unreachable_fails_naming_it(unreachable_mlflow_run) -> None:
    fallback, result = unreachable_mlflow_run
    assert result.returncode == EXIT_UNREACHABLE, result.stdout
    last = result.stdout.strip().splitlines()[-1]
    assert UNREACHABLE in last and "MLFLOW_TRACKING_URI" in last
    assert not fallback.exists(), "tracked somewhere else instead"


@flow(name="refusing-probe")
def _refusing_flow() -> None:
    raise ContractError("scada.csv", "power_kw", "required column is missing")


@flow(name="failing-probe")
def _failing_flow() -> None:
    raise RuntimeError("a node failed")


@pytest.mark.usefixtures("prefect_server")
def test_run_exit_codes_say_refused_input_apart_from_a_failed_run(
    mlflow_store: str,
) -> None:
    """The exit codes `run` documents: 3 when an input file is refused, 1 when
    the run failed otherwise (a caller's script branches on them)."""
    assert run_once(_refusing_flow, {}) == 3
    assert run_once(_failing_flow, {}) == 1
