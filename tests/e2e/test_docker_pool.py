"""End to end: the Docker work pool next to the process pool.

Needs the stack with the Docker worker and three process workers (as .ci/run):
    docker compose --profile docker-pool up -d --wait --scale worker=3
    docker compose run --rm trainer pytest -m e2e tests/e2e/test_docker_pool.py
Skips without the stack, or fails with WINDPOWER_E2E_REQUIRED=1 (see test_stack).
"""

import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import mlflow
import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

import docker
from tests.e2e.stack import (
    MLFLOW_URL,
    PREFECT_API_URL,
    require_stack,
    run,
    wait_for_first_forecasts,
)
from windpower.orchestration.setup.pools import DOCKER_POOL, PROCESS_POOL

pytestmark = pytest.mark.e2e

IMAGE = os.environ.get("WINDPOWER_IMAGE", "windpower:local")
DOCKER = ("training-flow/training-docker", "inference-flow/inference-docker")
# One site (a run without one would fan out per site): the smaller demo farm, as
# the runs are about where they execute, not about the model they make.
SITE = "demo-south"


def _run(deployment: str):
    return run(deployment, site=SITE)
PROCESS = ("training-flow/training-pool", "inference-flow/inference-pool")


@pytest.fixture(scope="module", autouse=True)
def stack() -> None:
    """The stack, a Docker worker online (the docker-pool profile is up), and each
    site's first champion (the runs below start inferences beside trainings)."""
    require_stack(PREFECT_API_URL)
    with get_client(sync_client=True) as client:
        workers = client.read_workers_for_work_pool(DOCKER_POOL)
    if not any(w.status == "ONLINE" for w in workers):
        message = "no Docker worker: `docker compose --profile docker-pool up -d`"
        if os.environ.get("WINDPOWER_E2E_REQUIRED", "").lower() in {"1", "true"}:
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    wait_for_first_forecasts()


class ContainerEvents:
    """Docker's create and destroy events of flow-run containers, watched live
    (the daemon keeps only its last few hundred events: a busy host drops older
    ones), by the flow run id Prefect labels each container with."""

    def __enter__(self) -> "ContainerEvents":
        self._stream = docker.from_env().events(decode=True, filters={
            "type": "container", "event": ["create", "destroy"],
            "label": "io.prefect.flow-run-id"})
        self.seen: list[dict] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        return self

    def _read(self) -> None:
        try:
            for event in self._stream:
                self.seen.append(event)
        except Exception:  # noqa: BLE001 (closing the stream ends the loop)
            return

    def __exit__(self, *exc) -> None:
        # Auto-remove follows the container's exit, seconds after the run's state.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and (
                set(self.containers("create")) - set(self.containers("destroy"))):
            time.sleep(1)
        self._stream.close()

    def containers(self, action: str) -> dict[str, list[dict]]:
        found: dict[str, list[dict]] = {}
        for event in self.seen:
            labels = event["Actor"]["Attributes"]
            if event["Action"] == action:
                found.setdefault(labels["io.prefect.flow-run-id"], []).append(
                    {"id": event["Actor"]["ID"], "image": labels.get("image")})
        return found


def _task_runs(flow_run_id) -> list[str]:
    with get_client(sync_client=True) as client:
        runs = client.read_task_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id])))
    return [run.name for run in runs]  # tasks are named after their Kedro node


def _mlflow_runs(flow_run_id) -> list:
    return mlflow.MlflowClient(tracking_uri=MLFLOW_URL).search_runs(
        [_experiment_id()], f"tags.prefect_flow_run_id = '{flow_run_id}'")


def _experiment_id() -> str:
    client = mlflow.MlflowClient(tracking_uri=MLFLOW_URL)
    return client.get_experiment_by_name("windpower-training").experiment_id


def test_docker_pool_defaults_are_the_local_image_never_pulled_with_a_limit():
    with get_client(sync_client=True) as client:
        pool = client.read_work_pool(DOCKER_POOL)
    defaults = {name: spec.get("default") for name, spec in
                pool.base_job_template["variables"]["properties"].items()}
    assert defaults["image"] == IMAGE and defaults["image_pull_policy"] == "Never"
    assert defaults["auto_remove"] is True and defaults["mem_limit"]
    assert {"WINDPOWER_DB_URL", "MLFLOW_TRACKING_URI", "PREFECT_API_URL"} <= set(
        defaults["env"])


def test_six_pool_runs_on_both_pools_started_together_each_run_exactly_once():
    """Two trainings (one per pool: they queue for the one training slot) and four
    inferences, on three process workers and the Docker worker: each Docker-pool
    run in a new container of the local image, removed after it."""
    deployments = (*DOCKER, *PROCESS, DOCKER[1], PROCESS[1])
    with ContainerEvents() as events, ThreadPoolExecutor(len(deployments)) as pool:
        flow_runs = list(pool.map(_run, deployments))
    created, destroyed = events.containers("create"), events.containers("destroy")
    with get_client(sync_client=True) as client:
        pools = {r.id: client.read_deployment(r.deployment_id).work_pool_name
                 for r in flow_runs}
    assert len({r.id for r in flow_runs}) == len(deployments)
    for flow_run, deployment in zip(flow_runs, deployments):
        assert flow_run.run_count == 1, f"{flow_run.name} ran {flow_run.run_count}x"
        expected_pool = DOCKER_POOL if deployment in DOCKER else PROCESS_POOL
        assert pools[flow_run.id] == expected_pool
        # Executed once: one container (Docker pool) or none, each task once.
        containers = created.get(str(flow_run.id), [])
        assert len(containers) == (expected_pool == DOCKER_POOL), (
            deployment, containers)
        for container in containers:
            assert container["image"] == IMAGE
            assert flow_run.infrastructure_pid.endswith(container["id"])
            assert [c["id"] for c in destroyed[str(flow_run.id)]] == [container["id"]]
        tasks = _task_runs(flow_run.id)
        assert tasks and len(tasks) == len(set(tasks)), (deployment, tasks)
        if deployment.startswith("training"):
            assert len(_mlflow_runs(flow_run.id)) == 1, deployment
