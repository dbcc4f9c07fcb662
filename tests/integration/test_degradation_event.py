"""The closed loop's event on a real Prefect server: emitted only when degraded,
and the training trigger starts at most one run per cooldown."""

import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from prefect import flow
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId
from prefect.events.filters import EventFilter, EventNameFilter, EventOccurredFilter
from prefect.events.worker import EventsWorker
from prefect.settings import PREFECT_API_URL, temporary_settings
from prefect.types._datetime import now

from windpower.orchestration.events import (
    DEGRADED_EVENT,
    emit_degradation_event,
    retrain_on_degradation,
)

pytestmark = pytest.mark.integration
REPORT = {"degraded": True, "turbines": ["T2"], "reasons": {"T2": ["concept"]},
          "evidence": {"T2": {"concept": {"value": 0.15, "samples": 900}}},
          "champion_version": 3}


@flow(name="retrain-probe")
def retrain_probe() -> None:
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
    since = now("UTC")

    emit_degradation_event(REPORT | {"degraded": False, "turbines": []})
    emit_degradation_event(REPORT)
    EventsWorker.drain_all(timeout=10)

    events = _wait(lambda: _events(since), 30)
    assert len(events) == 1
    event = events[0]
    assert event.resource.id == "windpower.model.windpower"
    assert event.resource.name == "windpower"
    assert event.payload["evidence"] == REPORT["evidence"]
    assert event.payload["champion_version"] == 3


def test_retrain_trigger_runs_once_per_cooldown(prefect_api):
    trigger = retrain_on_degradation(cooldown=timedelta(hours=1))
    deployment_id = retrain_probe.to_deployment(
        name="probe", triggers=[trigger]).apply()
    time.sleep(5)  # the server's trigger service loads the new automation

    for _ in range(3):
        emit_degradation_event(REPORT)
        EventsWorker.drain_all(timeout=10)
        time.sleep(2)

    def runs() -> list:
        with get_client(sync_client=True) as client:
            return client.read_flow_runs(deployment_filter=DeploymentFilter(
                id=DeploymentFilterId(any_=[deployment_id])))

    assert _wait(runs, 60), "the trigger started no run"
    time.sleep(10)  # give the later events time to (wrongly) start more runs
    assert len(runs()) == 1
