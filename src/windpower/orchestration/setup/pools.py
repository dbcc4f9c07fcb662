"""The work pools: where the pool deployments of ``prefect.yaml`` run.

- ``default-worker-pool`` (process): the ``worker`` service runs each run as a
  subprocess, with the worker's own environment.
- ``docker-pool`` (Docker): the ``docker-worker`` service (compose profile
  ``docker-pool``) runs each run in a new container of the project image, on the
  compose network, with a memory limit, removed when it ends. What that container
  gets is this pool's job template, written here from the set-up's environment.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from prefect import get_client
from prefect.client.schemas.actions import WorkPoolCreate, WorkPoolUpdate
from prefect.exceptions import ObjectNotFound
from prefect.workers.process import ProcessWorker

logger = logging.getLogger("windpower.setup")

PROCESS_POOL = "default-worker-pool"
DOCKER_POOL = "docker-pool"
# What a run needs (docker-compose.yml's flow environment), handed to every
# container of the Docker pool. The entrypoint turns the two auth values into
# Prefect's and MLflow's client settings, as in every other service.
RUN_ENVIRONMENT = (
    "PREFECT_API_URL", "PREFECT_AUTH_STRING", "PREFECT_FLOWS_HEARTBEAT_FREQUENCY",
    "PREFECT_LOGGING_LEVEL", "LOG_LEVEL", "COLUMNS", "DO_NOT_TRACK",
    "MLFLOW_TRACKING_URI", "MLFLOW_UI_URL", "MLFLOW_AUTH_USERNAME",
    "MLFLOW_AUTH_PASSWORD", "MLFLOW_DISABLE_TELEMETRY", "KEDRO_DISABLE_TELEMETRY",
    "WINDPOWER_DB_URL",
)


def docker_defaults(environ: dict[str, str] | None = None) -> dict[str, Any]:
    """The Docker pool's job defaults: the local project image, never pulled, on
    the compose network, with a memory limit, removed when the run ends."""
    environ = dict(os.environ if environ is None else environ)
    network = environ.get("WINDPOWER_DOCKER_NETWORK", "windpower_default")
    return {
        "image": environ.get("WINDPOWER_IMAGE", "windpower:local"),
        "image_pull_policy": "Never",
        "networks": [network],
        "auto_remove": True,
        "mem_limit": environ.get("DOCKER_POOL_MEM_LIMIT", "8g"),
        # No swap beyond the limit: a run that outgrows it is killed, not slowed.
        "memswap_limit": environ.get("DOCKER_POOL_MEM_LIMIT", "8g"),
        "env": {name: environ[name] for name in RUN_ENVIRONMENT
                if environ.get(name)},
        # An image built by compose carries its project and service labels, which
        # every container inherits: blank them, or compose would count each run's
        # container as one of its `trainer` containers.
        "labels": {"windpower.pool": DOCKER_POOL, "com.docker.compose.project": "",
                   "com.docker.compose.service": ""},
    }


def docker_template(defaults: dict[str, Any]) -> dict[str, Any]:
    """prefect-docker's own job template with ``defaults`` as the pool's values."""
    from prefect_docker.worker import DockerWorker  # noqa: PLC0415 (set-up only)

    template = DockerWorker.get_default_base_job_template()
    properties = template["variables"]["properties"]
    for name, value in defaults.items():
        properties[name]["default"] = value
    return template


def ensure_pool(name: str, kind: str, template: dict[str, Any],
                replace: bool = False) -> None:
    """Create pool ``name`` unless it exists; with ``replace``, also bring an
    existing pool's job template up to ``template`` (a new image or password)."""
    with get_client(sync_client=True) as client:
        try:
            pool = client.read_work_pool(name)
        except ObjectNotFound:
            client.create_work_pool(
                WorkPoolCreate(name=name, type=kind, base_job_template=template))
            logger.info("Created work pool %s (%s)", name, kind)
            return
        if replace and pool.base_job_template != template:
            client.update_work_pool(name, WorkPoolUpdate(base_job_template=template))
            logger.info("Updated the job template of work pool %s", name)


def ensure_work_pools() -> None:
    """Both pools; the Docker pool exists even when no Docker worker runs (its
    runs then wait for one), so set-up is the same with or without the profile."""
    ensure_pool(PROCESS_POOL, "process", ProcessWorker.get_default_base_job_template())
    ensure_pool(DOCKER_POOL, "docker", docker_template(docker_defaults()),
                replace=True)
