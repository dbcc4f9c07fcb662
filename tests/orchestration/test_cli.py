"""The run/serve command line: configuration from the environment, fallbacks."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
from prefect.settings import PREFECT_API_URL, temporary_settings
from training_flow import training_flow

from windpower.orchestration.cli import main, serve_config_from_env
from windpower.orchestration.deployments import ServeConfig
from windpower.orchestration.events import DEGRADED_EVENT, MISSING_EVENT
from windpower.orchestration.fallbacks import (
    reachable_prefect_api,
    use_reachable_mlflow,
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
    # The triggered run trains at the time the event speaks of, not the wall clock.
    assert missing.parameters == degraded.parameters == {
        "as_of": "{{ event.payload.as_of }}"}
    assert degraded.within == timedelta(hours=6)  # at most one retraining per 6 h


def test_main_help_explains_both_commands(capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(training_flow, DEFAULTS, prefix="TRAINING", argv=["--help"])
    out = capsys.readouterr().out
    assert exit_info.value.code == 0
    assert "run" in out and "serve" in out
    assert "TRAINING_SCHEDULE_INTERVAL_MINUTES" in out


def test_reachable_prefect_api_unreachable_falls_back(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PREFECT_API_URL", f"{UNREACHABLE}/api")
    with temporary_settings(updates={PREFECT_API_URL: f"{UNREACHABLE}/api"}):
        with reachable_prefect_api() as api_url:
            assert api_url is None
            assert PREFECT_API_URL.value() is None


def test_use_reachable_mlflow_unreachable_uses_sqlite(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", UNREACHABLE)
    monkeypatch.delenv("_MLFLOW_SERVER_ARTIFACT_ROOT", raising=False)
    uri = use_reachable_mlflow(tmp_path)
    assert uri == f"sqlite:///{tmp_path / 'mlflow.db'}"
    assert os.environ["MLFLOW_TRACKING_URI"] == uri
