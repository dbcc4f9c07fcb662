"""MLflow retention against a real MLflow server on Postgres: old unaliased
versions and runs go (for good, after ``mlflow gc``); ``champion``, ``challenger``,
the runs they come from and those runs' parents stay."""

import uuid
from datetime import UTC, datetime, timedelta

import mlflow
import pytest
from maintenance_flow import collect_mlflow_garbage
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

from windpower.orchestration.flows.retention import prune_model_versions, prune_runs

pytestmark = pytest.mark.integration
# Ten days on: everything the test makes is "older than a day".
LATER = datetime.now(UTC) + timedelta(days=10)


@pytest.fixture
def client(servers, backend, monkeypatch) -> MlflowClient:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", servers.mlflow_url)
    monkeypatch.setenv("MLFLOW_BACKEND_STORE_URI",
                       backend.db_url("mlflow", "mlflow").replace(
                           "postgresql://", "postgresql+psycopg2://"))
    mlflow.set_tracking_uri(servers.mlflow_url)
    return MlflowClient(servers.mlflow_url)


def _registry(client: MlflowClient) -> tuple[str, dict[str, str]]:
    """A model with versions 1-4 (1 champion, 2 challenger), one run each, the
    champion's run nested in a parent; plus a run with no version."""
    name = f"retention-{uuid.uuid4().hex[:8]}"
    mlflow.set_experiment(name)
    client.create_registered_model(name)
    runs = {}
    with mlflow.start_run() as parent:
        runs["parent"] = parent.info.run_id
        with mlflow.start_run(nested=True) as child:
            runs["v1"] = child.info.run_id
    for key in ("v2", "v3", "v4", "none"):
        with mlflow.start_run() as run:
            runs[key] = run.info.run_id
    for key in ("v1", "v2", "v3", "v4"):
        client.create_model_version(name, f"runs:/{runs[key]}/model", runs[key])
    client.set_registered_model_alias(name, "champion", "1")
    client.set_registered_model_alias(name, "challenger", "2")
    return name, runs


def _deleted(client: MlflowClient, run_id: str) -> bool:
    return client.get_run(run_id).info.lifecycle_stage == "deleted"


def test_prune_keeps_aliased_versions_and_their_runs(client):
    name, runs = _registry(client)
    versions, kept = prune_model_versions(client, 1, LATER)
    deleted = prune_runs(client, 1, LATER, kept)
    assert {f"{name}/3", f"{name}/4"} <= set(versions)
    assert f"{name}/1" not in versions and f"{name}/2" not in versions
    assert client.get_model_version_by_alias(name, "champion").version == "1"
    assert client.get_model_version_by_alias(name, "challenger").version == "2"
    assert {runs["v3"], runs["v4"], runs["none"]} <= set(deleted)
    for key in ("parent", "v1", "v2"):
        assert not _deleted(client, runs[key]), key
    collect_mlflow_garbage.fn()
    with pytest.raises(MlflowException):
        client.get_run(runs["v3"])  # gone for good


def test_prune_without_limits_deletes_nothing(client):
    name, runs = _registry(client)
    versions, kept = prune_model_versions(client, None, LATER)
    assert versions == []
    assert prune_runs(client, None, LATER, kept) == []
    assert len(client.search_model_versions(f"name = '{name}'")) == 4
    assert not any(_deleted(client, run) for run in runs.values())
