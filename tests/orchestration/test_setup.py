"""The one-shot set-up creates every server-side object once, and again safely."""

from __future__ import annotations

from datetime import timedelta

import pytest
from prefect import get_client
from prefect.client.schemas.objects import StateType
from prefect.settings import PREFECT_API_URL, temporary_settings

from tests.background import background_fixture
from windpower.orchestration.flows.guard import FLOW_LIMITS
from windpower.orchestration.setup.crashes import AUTOMATION_NAME, crash_detection
from windpower.orchestration.setup.pools import DOCKER_POOL
from windpower.orchestration.setup.steps import WORK_POOL, set_up_prefect

pytestmark = [pytest.mark.unit, pytest.mark.usefixtures("prefect_server")]


@background_fixture("prefect_server_process")
def set_up_twice(server) -> str:
    """The set-up run twice, as by a second `docker compose up` on the same volumes:
    in the background, as `prefect deploy` takes ~3 s a time in its own process.
    Returns the crash automation's trigger id after the first."""
    with temporary_settings({PREFECT_API_URL: server.api_url}):
        set_up_prefect()
        trigger_id = _crash_trigger_id()
        set_up_prefect()
    return trigger_id


def _crash_trigger_id() -> str:
    """The server's id of the crash automation's trigger (Prefect's client model
    leaves it out)."""
    with get_client(sync_client=True) as client:
        (automation,) = client.read_automations_by_name(AUTOMATION_NAME)
        return client.request("GET", "/automations/{id}",
                              path_params={"id": automation.id}).json()["trigger"]["id"]


def test_set_up_twice_leaves_one_of_everything(set_up_twice: str) -> None:
    # The schema's migrations have their own tests (tests/store/test_migrations.py).
    with get_client(sync_client=True) as client:
        assert client.read_work_pool(WORK_POOL).type == "process"
        for name in FLOW_LIMITS:
            assert client.read_global_concurrency_limit_by_name(name).limit == 1
        docker_pool = client.read_work_pool(DOCKER_POOL)
        (automation,) = client.read_automations_by_name(AUTOMATION_NAME)
        deployments = {
            f"{client.read_flow(d.flow_id).name}/{d.name}": d
            for d in client.read_deployments()
        }
    # Prefect's zombie recipe: any flow-run event (a timeout too) resets the clock.
    assert automation.trigger.expect == {"prefect.flow-run.*"}
    # The server keeps each run's heartbeat window under the trigger's id: a second
    # set-up must not replace it, or runs in flight lose their crash detection.
    assert _crash_trigger_id() == set_up_twice
    for flow, step in [("ingest", "ingest"), ("training", "training"),
                       ("inference", "inference"), ("monitoring", "monitoring")]:
        name, queue = f"{flow}-flow/{step}-pool", f"{step}-queue"
        assert deployments[name].work_pool_name == WORK_POOL
        assert deployments[name].work_queue_name == queue
        assert deployments[name].pull_steps == [
            {"prefect.deployments.steps.set_working_directory": {"directory": "/app"}}
        ]
    # The Docker pool exists whether or not its worker runs, with the local image
    # never pulled, auto-removed, and the runs' database URL in its environment.
    defaults = {name: spec.get("default") for name, spec in
                docker_pool.base_job_template["variables"]["properties"].items()}
    assert docker_pool.type == "docker"
    assert defaults["image_pull_policy"] == "Never" and defaults["auto_remove"]
    assert "WINDPOWER_DB_URL" in defaults["env"]
    for flow in ("training", "inference"):
        deployment = deployments[f"{flow}-flow/{flow}-docker"]
        assert deployment.work_pool_name == DOCKER_POOL
        assert deployment.work_queue_name == f"{flow}-queue"


def test_crash_detection_marks_a_run_crashed_after_three_missed_heartbeats() -> None:
    """docs/reliability.md's bound: a killed run is Crashed within three beats."""
    automation = crash_detection(heartbeat_seconds=30)
    assert automation.trigger.within == timedelta(seconds=90)
    assert automation.actions[0].state == StateType.CRASHED
