"""PrefectTaskRunner: Kedro nodes become Prefect task runs named after them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from kedro.io import DataCatalog, MemoryDataset
from kedro.pipeline import Node, Pipeline
from prefect import flow

from tests.orchestration.helpers import log_messages, task_runs
from windpower.orchestration.kedro.runner import PrefectTaskRunner
from windpower.orchestration.kedro.session import run_kedro_pipelines

pytestmark = [pytest.mark.unit, pytest.mark.usefixtures("prefect_server")]


@flow(name="toy-kedro-flow")
def toy_kedro_flow(params: dict[str, Any] | None = None) -> dict[str, Any]:
    """Run the toy data_processing + training pipelines."""
    result = run_kedro_pipelines(
        ["data_processing", "training"], ["training_summary"], runtime_params=params
    )
    return result.outputs["training_summary"]


def test_runner_nodes_become_task_runs_in_dependency_order(toy_project: Path) -> None:
    state = toy_kedro_flow(return_state=True)

    assert state.is_completed()
    names = [run.name for run in task_runs(state.state_details.flow_run_id)]
    assert names == ["make_readings_node", "fit_model_node", "summarise_training_node"]
    assert state.result()["model"] == {"mae": 0.625}


def test_runner_failing_node_fails_the_flow_naming_the_node(
    toy_project: Path,
) -> None:
    state = toy_kedro_flow(params={"fail": True}, return_state=True)

    assert state.is_failed()
    assert "Kedro node 'fit_model_node' failed" in state.message
    assert "toy model refused to fit" in state.message
    runs = {run.name: run.state_type.value for run in task_runs(
        state.state_details.flow_run_id)}
    assert runs == {"make_readings_node": "COMPLETED", "fit_model_node": "FAILED"}


def test_runner_kedro_logs_reach_the_prefect_run(toy_project: Path) -> None:
    state = toy_kedro_flow(return_state=True)

    messages = log_messages(state.state_details.flow_run_id)
    assert ("kedro.toy", "toy: making 6 readings") in messages
    assert any(name.startswith("kedro.") and "Running node" in message
               for name, message in messages)


def test_runner_retries_a_node_after_a_lost_connection() -> None:
    calls: list[int] = []

    def save_forecast(rows: int) -> int:
        calls.append(rows)
        if len(calls) == 1:
            raise ConnectionRefusedError("database not reachable")
        return rows

    @flow(name="flaky-kedro-flow")
    def flaky_flow() -> dict[str, Any]:
        catalog = DataCatalog(datasets={"rows": MemoryDataset(3)})
        pipeline = Pipeline([Node(save_forecast, "rows", "saved",
                                  name="save_forecast_node")])
        return PrefectTaskRunner().run(pipeline, catalog)

    state = flaky_flow(return_state=True)

    assert state.is_completed(), state.message
    assert calls == [3, 3]
    (run,) = task_runs(state.state_details.flow_run_id)
    assert run.name == "save_forecast_node"
    assert run.run_count == 2
