"""training-flow and inference-flow on the toy project: tasks, artifacts, limits."""

from __future__ import annotations

from pathlib import Path

import pytest
from inference_flow import inference_flow
from prefect import get_client
from training_flow import training_flow

from tests.orchestration.helpers import artifacts, task_runs
from windpower.orchestration.flows.specs import INFERENCE, TRAINING

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
