"""The closed loop's event on a real Prefect server: emitted only when degraded,
and the training trigger starts at most one run per cooldown.

The trigger is set up and sent its events by one test and checked by the last test
of the session, so the wait for wrongly started runs overlaps the other tests.
"""

import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest
from prefect import flow
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId
from prefect.events.filters import EventFilter, EventNameFilter, EventOccurredFilter
from prefect.events.worker import EventsWorker
from prefect.settings import PREFECT_API_URL, temporary_settings

from windpower.orchestration.serving.events import (
    AS_OF_FROM_EVENT,
    DEGRADED_EVENT,
    emit_degradation_event,
    retrain_on_degradation,
)

pytestmark = pytest.mark.integration
REPORT = {"degraded": True, "turbines": ["T2"], "reasons": {"T2": ["concept"]},
          "evidence": {"T2": {"concept": {"value": 0.15, "samples": 900}}},
          "champion_version": 3}
LATER_EVENTS_SETTLE_SECONDS = 10  # for the trigger service to act on later events


@flow(name="retrain-probe")
def retrain_probe(as_of: str | None = None, site: str | None = None) -> None:
    """Stands in for the training flow: only its deployment's runs are counted."""


@pytest.fixture
def prefect_api(servers) -> Iterator[str]:
    with temporary_settings({PREFECT_API_URL: servers.prefect_api_url}):
        yield servers.prefect_api_url
        EventsWorker.drain_all(timeout=10)


def _events(since) -> list:
    with get_client(sync_client=True) as client:
        page = client.read_events(EventFilter(
            occurred=EventOccurredFilter(since=since),
            event=EventNameFilter(name=[DEGRADED_EVENT])), limit=50)  # server max
    return page.events


def _wait(condition, seconds: float = 60.0):
    deadline = time.monotonic() + seconds
    while not (value := condition()) and time.monotonic() < deadline:
        time.sleep(1)
    return value


def test_degradation_event_is_emitted_only_when_degraded(prefect_api):
    since = datetime.now(UTC)

    emit_degradation_event("north", REPORT | {"degraded": False, "turbines": []})
    emit_degradation_event("north", REPORT)
    EventsWorker.drain_all(timeout=10)

    events = _wait(lambda: _events(since), 30)
    assert len(events) == 1
    event = events[0]
    assert event.resource.id == "windpower.model.north"
    assert event.resource.name == "windpower-north"
    assert event.payload["site"] == "north"
    assert event.payload["evidence"] == REPORT["evidence"]
    assert event.payload["champion_version"] == 3


@dataclass(frozen=True)
class TriggeredDeployment:
    """A deployment with the retraining trigger, sent degradation events until
    one started a run, then sent more within the cooldown."""

    deployment_id: UUID
    last_event_at: float  # time.monotonic()


def _trigger_runs(deployment_id: UUID) -> list:
    with get_client(sync_client=True) as client:
        return client.read_flow_runs(deployment_filter=DeploymentFilter(
            id=DeploymentFilterId(any_=[deployment_id])))


@pytest.fixture(scope="session")
def triggered_deployment(servers) -> TriggeredDeployment:
    with temporary_settings({PREFECT_API_URL: servers.prefect_api_url}):
        trigger = retrain_on_degradation(cooldown=timedelta(hours=1),
                                         parameters=dict(AS_OF_FROM_EVENT))
        deployment_id = retrain_probe.to_deployment(
            name="probe", triggers=[trigger]).apply()

        def event_started_a_run() -> list:
            # Events sent before the server's trigger service loaded the new
            # automation start nothing: keep sending until one does.
            emit_degradation_event("north", REPORT)
            EventsWorker.drain_all(timeout=10)
            return _wait(lambda: _trigger_runs(deployment_id), 2)

        assert _wait(event_started_a_run, 60), "the trigger started no run"
        for _ in range(2):
            emit_degradation_event("north", REPORT)
        # Another site's model: its own cooldown, its own run.
        emit_degradation_event("south", REPORT)
        EventsWorker.drain_all(timeout=10)
    return TriggeredDeployment(deployment_id, time.monotonic())


def test_retrain_trigger_starts_a_run_on_degradation(servers, triggered_deployment):
    with temporary_settings({PREFECT_API_URL: servers.prefect_api_url}):
        runs = _trigger_runs(triggered_deployment.deployment_id)
    assert [run.parameters["site"] for run in runs].count("north") == 1


@pytest.mark.run_last
def test_retrain_trigger_runs_once_per_cooldown(servers, triggered_deployment):
    """Checked at the end of the session, so the later events have had time to
    (wrongly) start more runs while the other tests ran."""
    settle = LATER_EVENTS_SETTLE_SECONDS - (
        time.monotonic() - triggered_deployment.last_event_at)
    time.sleep(max(settle, 0))
    with temporary_settings({PREFECT_API_URL: servers.prefect_api_url}):
        runs = _trigger_runs(triggered_deployment.deployment_id)
    # One run per site within the cooldown, each for the site its event named:
    # an event for one site never starts another's.
    assert sorted(run.parameters["site"] for run in runs) == ["north", "south"]
