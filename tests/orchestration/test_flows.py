"""training-, inference- and monitoring-flow on the toy project: tasks,
artifacts, their one-run slots and the degradation event."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from inference_flow import inference_flow
from monitoring_flow import monitoring_flow
from prefect import get_client
from prefect.events.filters import EventFilter, EventNameFilter, EventOccurredFilter
from prefect.events.worker import EventsWorker
from training_flow import training_flow

from tests.orchestration.helpers import artifacts, task_runs
from windpower.orchestration.flows.guard import run_exclusively
from windpower.orchestration.flows.specs import INFERENCE, MONITORING, TRAINING
from windpower.orchestration.serving.events import DEGRADED_EVENT

pytestmark = [pytest.mark.unit, pytest.mark.usefixtures("prefect_server")]
SITE = "toy"


def test_training_flow_completes_with_node_tasks_and_report(
    toy_project: Path, mlflow_run_id: str
) -> None:
    state = training_flow(site=SITE, params={"mlflow_run_id": mlflow_run_id},
                          return_state=True)

    assert state.is_completed(), state.message
    flow_run_id = state.state_details.flow_run_id
    names = {run.name for run in task_runs(flow_run_id)}
    assert {"make_readings_node", "fit_model_node",
            "summarise_training_node"} <= names
    published = {a.key: a for a in artifacts(flow_run_id)}
    assert {"training-report", "training-metrics"} <= set(published)
    report = published["training-report"].data
    assert "champion" in report
    assert f"http://mlflow.test/#/experiments/0/runs/{mlflow_run_id}" in report


def test_training_flow_failing_node_is_a_failed_run(toy_project: Path) -> None:
    state = training_flow(site=SITE, params={"fail": True}, return_state=True)

    assert state.is_failed()
    assert "fit_model_node" in state.message


def test_inference_flow_completes_with_report(toy_project: Path) -> None:
    state = inference_flow(site=SITE, return_state=True)

    assert state.is_completed(), state.message
    flow_run_id = state.state_details.flow_run_id
    names = {run.name for run in task_runs(flow_run_id)}
    assert {"read_forecast_node", "summarise_inference_node"} <= names
    report = {a.key: a for a in artifacts(flow_run_id)}["inference-report"].data
    assert "rows scored: **6**" in report
    # A run given its site (scheduled or triggered) is found by the site's tag.
    with get_client(sync_client=True) as client:
        assert f"site:{SITE}" in client.read_flow_run(flow_run_id).tags


def test_flows_release_their_one_slot_limits(
    toy_project: Path, mlflow_run_id: str
) -> None:
    # A real MLflow run to link: an unknown one would retry for ~40 s.
    training_flow(site=SITE, params={"mlflow_run_id": mlflow_run_id},
                  return_state=True)
    inference_flow(site=SITE, return_state=True)

    with get_client(sync_client=True) as client:
        limits = [client.read_global_concurrency_limit_by_name(name)
                  for name in (TRAINING.limit_for(SITE), INFERENCE.limit_for(SITE))]
    assert [(limit.limit, limit.active_slots) for limit in limits] == [(1, 0)] * 2


def test_each_flow_holds_its_one_slot_while_its_pipelines_run(
    toy_project: Path, mlflow_run_id: str
) -> None:
    """Where the guard is wired: each flow's nodes run inside its one slot."""
    slots = {spec: spec.limit_for(SITE) for spec in (TRAINING, INFERENCE, MONITORING)}
    runs = {TRAINING: training_flow(site=SITE, params={
                "slot": slots[TRAINING], "mlflow_run_id": mlflow_run_id}),
            INFERENCE: inference_flow(site=SITE, params={"slot": slots[INFERENCE]}),
            MONITORING: monitoring_flow(site=SITE, params={"slot": slots[MONITORING]})}
    assert {spec.kind: summary["slot_in_use"] for spec, summary in runs.items()} == {
        "training": 1, "inference": 1, "monitoring": 1}


def test_a_site_held_by_one_run_leaves_another_site_free(toy_project: Path) -> None:
    """Two sites train side by side: a run holding one site's slot does not hold
    up another site's run (which holds its own)."""
    held, release = threading.Event(), threading.Event()

    def hold_north() -> None:
        # By name: the slot of north's inference, whatever limit_for says.
        with run_exclusively("windpower-inference-north"):
            held.set()
            release.wait(60)

    holder = threading.Thread(target=hold_north)
    holder.start()
    try:
        assert held.wait(30)
        result: dict = {}
        other = threading.Thread(target=lambda: result.update(inference_flow(
            site="south", params={"slot": "windpower-inference-south"})))
        other.start()
        other.join(60)
        assert not other.is_alive(), "south waited for north's slot"
        assert result["slot_in_use"] == 1
    finally:
        release.set()
        holder.join()


def _degraded_events(since: datetime, expected: int) -> list:
    """The degradation events since ``since``, once ``expected`` are stored (the
    server stores events asynchronously) or after 15 s."""
    EventsWorker.drain_all(timeout=10)
    deadline = time.monotonic() + 15
    while True:
        with get_client(sync_client=True) as client:
            events = client.read_events(EventFilter(
                occurred=EventOccurredFilter(since=since),
                event=EventNameFilter(name=[DEGRADED_EVENT])), limit=50).events
        if len(events) >= expected or time.monotonic() > deadline:
            return events
        time.sleep(0.5)


def test_monitoring_flow_emits_degradation_event_only_when_degraded(
    toy_project: Path,
) -> None:
    since = datetime.now(UTC)
    monitoring_flow(site=SITE)  # healthy: no event
    monitoring_flow(site=SITE, params={"degraded_turbines": ["T02"]})

    events = _degraded_events(since, expected=1)
    assert [e.payload["turbines"] for e in events] == [["T02"]]
    assert events[0].resource.id == "windpower.model.toy"
    assert events[0].payload["site"] == SITE
