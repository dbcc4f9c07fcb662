"""A worker on a second host: its own compose project and network, the stack
reached only through its published ports (docs/scale.md, "Workers on other hosts").

Runs from the second host's side, not in the stack's trainer:
    docker compose -f docker-compose.yml -f docker/compose.remote-workers.yml \\
        up -d --wait --scale worker=0      # the stack, Postgres published too
    docker compose -p windpower-host2 -f docker/compose.second-host.yml up -d --wait
    docker compose -p windpower-host2 -f docker/compose.second-host.yml \\
        run --rm check
The stack runs no process worker of its own, so the pool's runs can only be
executed by the second host's worker.
"""

import os
import socket
import time
from concurrent.futures import ThreadPoolExecutor

import mlflow
import psycopg2
import pytest
from prefect.client.orchestration import get_client
from prefect.deployments import run_deployment

from tests.e2e.stack import require_stack
from windpower.orchestration.setup.pools import PROCESS_POOL

pytestmark = [
    pytest.mark.second_host,
    pytest.mark.skipif(os.environ.get("WINDPOWER_E2E_REQUIRED") != "1"
                       or "prefect-server" in os.environ.get("PREFECT_API_URL", ""),
                       reason="run from the second host: compose.second-host.yml"),
]

WORKER = "second-host"
DEPLOYMENTS = ("training-flow/training-pool", "inference-flow/inference-pool")


def _online_workers() -> set[str]:
    with get_client(sync_client=True) as client:
        workers = client.read_workers_for_work_pool(PROCESS_POOL)
    return {w.name for w in workers if w.status == "ONLINE"}


def _run(deployment: str):
    flow_run = run_deployment(deployment, timeout=600,
                              parameters={"site": "demo-north"})
    assert flow_run.state is not None and flow_run.state.is_completed(), (
        f"{deployment}: {flow_run.state}")
    return flow_run


def _wait_for_champion(limit_s: float = 600) -> None:
    """A fresh stack trains its first model at start; inference needs it."""
    deadline = time.monotonic() + limit_s
    while True:
        try:
            mlflow.MlflowClient().get_model_version_by_alias(
                "windpower-demo-north", "champion")
            return
        except mlflow.exceptions.MlflowException:
            if time.monotonic() > deadline:
                raise
            time.sleep(5)


def test_second_host_sees_the_stack_only_through_published_ports():
    require_stack(os.environ["PREFECT_API_URL"])
    _wait_for_champion()  # a fresh stack: readings stored, first model trained
    for service in ("postgres", "prefect-server", "mlflow"):
        with pytest.raises(OSError):  # another network: no service names
            socket.gethostbyname(service)
    with psycopg2.connect(os.environ["WINDPOWER_DB_URL"]) as connection:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM readings")
            assert cursor.fetchone()[0] > 0
    mlflow.MlflowClient().search_experiments()


def test_second_host_worker_executes_pool_runs_to_completed():
    assert _online_workers() == {WORKER}, "the stack must run no worker of its own"
    _wait_for_champion()
    with ThreadPoolExecutor(len(DEPLOYMENTS)) as pool:
        flow_runs = list(pool.map(_run, DEPLOYMENTS))
    assert _online_workers() == {WORKER}
    for flow_run in flow_runs:
        assert flow_run.run_count == 1
    training = flow_runs[0]
    experiment = mlflow.get_experiment_by_name("windpower-training")
    runs = mlflow.MlflowClient().search_runs(
        [experiment.experiment_id], f"tags.prefect_flow_run_id = '{training.id}'")
    assert len(runs) == 1 and runs[0].info.status == "FINISHED"
