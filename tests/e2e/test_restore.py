"""After a restore into fresh volumes: what the backup held is there, and the
scheduled flows run on it.

scripts/restore_check.sh runs this (CI: .ci/run) in a compose project restored from
a backup of the running stack, with the backup's manifest.json (counted at backup
time) in WINDPOWER_RESTORE_MANIFEST and every served schedule at 1 minute. Without
the manifest every test here skips.
"""

import json
import os
import time
from datetime import datetime
from uuid import UUID

import pytest
from mlflow import MlflowClient
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    DeploymentFilter,
    DeploymentFilterName,
    FlowRunFilter,
    FlowRunFilterStartTime,
)
from prefect.client.schemas.sorting import FlowRunSort

from tests.e2e.stack import FLOWS, query

pytestmark = pytest.mark.restore

# Served deployments whose next scheduled run must succeed on the restored state:
# ingest writes readings, training reads them and judges its candidate against the
# restored champion, inference loads the restored champion's artifacts, monitoring
# reads the restored predictions.
SCHEDULED = FLOWS
# Generous: on a loaded machine a run takes minutes; a healthy one ends sooner.
WAIT_S = 600


@pytest.fixture(scope="module")
def manifest() -> dict:
    text = os.environ.get("WINDPOWER_RESTORE_MANIFEST")
    if not text:
        pytest.skip("no restored stack: run scripts/restore_check.sh")
    return json.loads(text)


def test_restore_keeps_flow_runs(manifest: dict) -> None:
    started = FlowRunFilter(start_time=FlowRunFilterStartTime(is_null_=False))
    with get_client(sync_client=True) as client:
        newest = client.read_flow_run(UUID(manifest["newest_completed_flow_run"]))
        count = client.count_flow_runs(flow_run_filter=started)
        deployments = len(client.read_deployments())
    assert newest.state is not None and newest.state.is_completed()
    assert count >= manifest["flow_runs"]
    assert deployments == manifest["deployments"]


def test_restore_keeps_experiments_models_and_aliases(manifest: dict) -> None:
    client = MlflowClient()
    assert len(client.search_experiments()) >= manifest["experiments"]
    assert len(client.search_model_versions()) >= manifest["model_versions"]
    assert manifest["aliases"], "the backup held no aliased model"
    for key, version in manifest["aliases"].items():
        name, alias = key.split("@")
        assert client.get_model_version_by_alias(name, alias).version == version


def test_restore_keeps_readings_and_predictions(manifest: dict) -> None:
    [(readings, predictions)] = query("select (select count(*) from readings), "
                                      "(select count(*) from predictions)")
    assert readings >= manifest["readings"] > 0
    assert predictions >= manifest["predictions"] > 0


def _finished_runs(since: datetime) -> dict[str, list[str]]:
    """Final states of the runs of each served deployment started since, in order.

    Runs still Pending or Running are left out: on a loaded machine the next ones
    queue behind the flow's one-at-a-time limit.
    """
    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(
            deployment_filter=DeploymentFilter(name=DeploymentFilterName(
                any_=list(SCHEDULED))),
            flow_run_filter=FlowRunFilter(
                start_time=FlowRunFilterStartTime(after_=since)),
            sort=FlowRunSort.START_TIME_ASC, limit=200)
        names = {d.id: d.name for d in client.read_deployments()}
    finished: dict[str, list[str]] = {}
    for run in runs:
        name = names.get(run.deployment_id)
        if name and run.state and run.state.is_final():
            finished.setdefault(name, []).append(run.state.type.value)
    return finished


def test_restore_next_scheduled_runs_succeed(manifest: dict) -> None:
    # The restored database holds no run started after the backup: any such run
    # ran on the restored stack.
    since = datetime.fromisoformat(manifest["created"])
    deadline = time.monotonic() + WAIT_S
    finished = _finished_runs(since)
    while set(finished) != set(SCHEDULED) and time.monotonic() < deadline:
        time.sleep(5)
        finished = _finished_runs(since)
    assert set(finished) == set(SCHEDULED), finished
    assert all(state == "COMPLETED" for states in finished.values()
               for state in states), finished
