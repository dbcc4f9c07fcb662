"""Optional authentication, switched on the way .env does it: with it on, the
servers refuse unauthenticated requests and the flows still work."""

import base64
import urllib.request
import uuid
from pathlib import Path

import mlflow
import pytest
from prefect.settings import (
    PREFECT_API_AUTH_STRING,
    PREFECT_API_URL,
    temporary_settings,
)

import windpower.orchestration.kedro.session as orchestration_session
from tests.background import background_fixture, stop_at_session_end
from tests.integration.conftest import (
    _url,
    start_mlflow,
    start_prefect,
    start_together,
)
from tests.integration.http_status import status_of
from tests.internals import track_to
from tests.project_copy import make_project

pytestmark = pytest.mark.integration
USER = "admin"
PASSWORD = uuid.uuid4().hex


@background_fixture("backend")
def auth_servers(backend) -> dict[str, str]:
    """An MLflow and a Prefect server with auth on, started with the .env variables."""
    mlflow_server, prefect_server = start_together(
        lambda: start_mlflow(backend, "mlflow_auth", MLFLOW_AUTH_USERNAME=USER,
                             MLFLOW_AUTH_PASSWORD=PASSWORD),
        lambda: start_prefect(backend, "prefect_auth",
                              PREFECT_AUTH_STRING=f"{USER}:{PASSWORD}"),
    )
    # The module's runs flush their logs and events before the servers stop
    # (fresh_prefect_services, at the end of the module): after, each flush would
    # retry a dead server until its timeout.
    stop_at_session_end(mlflow_server.stop)
    stop_at_session_end(prefect_server.stop)
    return {
        "mlflow": _url(mlflow_server, 5001),
        "prefect": f"{_url(prefect_server, 4200)}/api",
        "db": backend.db_url("windpower", "windpower"),
    }


def _status(url: str, *, data: bytes | None = None, auth: bool = False) -> int:
    request = urllib.request.Request(url, data=data)
    request.add_header("Content-Type", "application/json")
    if auth:
        token = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
    return status_of(request)


def test_prefect_with_auth_refuses_anonymous_requests(auth_servers):
    flows = f"{auth_servers['prefect']}/flows/filter"
    assert _status(flows, data=b"{}") == 401
    assert _status(flows, data=b"{}", auth=True) == 200
    assert _status(f"{auth_servers['prefect']}/health") == 200  # for healthchecks


def test_mlflow_with_auth_refuses_anonymous_requests(auth_servers):
    search = f"{auth_servers['mlflow']}/api/2.0/mlflow/experiments/search?max_results=1"
    assert _status(search) == 401
    assert _status(search, auth=True) == 200
    assert _status(f"{auth_servers['mlflow']}/health") == 200


def test_flows_work_with_auth_on(auth_servers, tmp_path: Path, monkeypatch):
    from training_flow import training_flow  # noqa: PLC0415 (services/prefect)

    track_to(auth_servers["mlflow"], monkeypatch)
    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", USER)
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", PASSWORD)
    monkeypatch.setenv("WINDPOWER_DB_URL", auth_servers["db"])
    project = make_project(tmp_path, monkeypatch, predictions_in_memory=False)
    monkeypatch.setattr(orchestration_session, "project_root", lambda: project)
    settings = {
        PREFECT_API_URL: auth_servers["prefect"],
        PREFECT_API_AUTH_STRING: f"{USER}:{PASSWORD}",
    }
    with temporary_settings(settings):
        state = training_flow(site="default", return_state=True)
    assert state.is_completed(), state
    champion = mlflow.MlflowClient().get_model_version_by_alias(
        "windpower-default", "champion")
    assert champion.version == "1"
