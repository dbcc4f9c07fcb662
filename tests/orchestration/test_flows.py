"""training-, inference- and monitoring-flow on the toy project: tasks,
artifacts, their one-run slots and the degradation event."""

from __future__ import annotations

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
from windpower.orchestration.flows.specs import INFERENCE, MONITORING, TRAINING
from windpower.orchestration.serving.events import DEGRADED_EVENT

pytestmark = [pytest.mark.unit, pytest.mark.usefixtures("prefect_server")]


def test_training_flow_completes_with_node_tasks_and_report(
    toy_project: Path, mlflow_run_id: str
) -> None:
    state = training_flow(params={"mlflow_run_id": mlflow_run_id}, return_state=True)

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
    state = training_flow(params={"fail": True}, return_state=True)

    assert state.is_failed()
    assert "fit_model_node" in state.message


def test_inference_flow_completes_with_report(toy_project: Path) -> None:
    state = inference_flow(return_state=True)

    assert state.is_completed(), state.message
    flow_run_id = state.state_details.flow_run_id
    names = {run.name for run in task_runs(flow_run_id)}
    assert {"read_forecast_node", "summarise_inference_node"} <= names
    report = {a.key: a for a in artifacts(flow_run_id)}["inference-report"].data
    assert "rows scored: **6**" in report


def test_flows_release_their_one_slot_limits(
    toy_project: Path, mlflow_run_id: str
) -> None:
    # A real MLflow run to link: an unknown one would retry for ~40 s.
    training_flow(params={"mlflow_run_id": mlflow_run_id}, return_state=True)
    inference_flow(return_state=True)

    with get_client(sync_client=True) as client:
        limits = [client.read_global_concurrency_limit_by_name(name)
                  for name in (TRAINING.limit, INFERENCE.limit)]
    assert [(limit.limit, limit.active_slots) for limit in limits] == [(1, 0)] * 2


def test_each_flow_holds_its_one_slot_while_its_pipelines_run(
    toy_project: Path, mlflow_run_id: str
) -> None:
    """Where the guard is wired: each flow's nodes run inside its one slot."""
    runs = {TRAINING.limit: training_flow(params={"slot": TRAINING.limit,
                                                  "mlflow_run_id": mlflow_run_id}),
            INFERENCE.limit: inference_flow(params={"slot": INFERENCE.limit}),
            MONITORING.limit: monitoring_flow(params={"slot": MONITORING.limit})}
    assert {limit: summary["slot_in_use"] for limit, summary in runs.items()} == {
        TRAINING.limit: 1, INFERENCE.limit: 1, MONITORING.limit: 1}


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
    monitoring_flow()  # healthy: no event
    monitoring_flow(params={"degraded_turbines": ["T02"]})

    events = _degraded_events(since, expected=1)
    assert [e.payload["turbines"] for e in events] == [["T02"]]
    assert events[0].resource.id == "windpower.model.windpower"
