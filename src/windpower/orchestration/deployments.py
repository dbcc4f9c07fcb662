"""Register the work-pool deployment of a flow and serve the flow itself."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from prefect import Flow, get_client
from prefect.client.schemas.actions import WorkPoolCreate
from prefect.client.schemas.filters import (
    FlowFilter,
    FlowFilterName,
    FlowRunFilter,
    FlowRunFilterState,
    FlowRunFilterStateType,
)
from prefect.client.schemas.objects import StateType
from prefect.deployments import run_deployment
from prefect.events import DeploymentEventTrigger
from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound
from prefect.schedules import Cron, Interval, Schedule
from prefect.utilities.callables import parameter_schema
from prefect.workers.process import ProcessWorker

logger = logging.getLogger(__name__)

# Interval schedules count from a fixed anchor, so restarting the serve container
# neither shifts the schedule nor adds runs: "every 60 min" means on the hour.
SCHEDULE_ANCHOR = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class ServeConfig:
    """How one flow is served and deployed (read from the environment)."""

    name: str
    pool_deployment: str
    queue: str
    pool: str = "default-worker-pool"
    interval_minutes: float | None = None
    cron: str | None = None
    timezone: str = "UTC"
    parameters: dict[str, Any] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    description: str = ""
    run_on_start: bool = True
    after_flow: str | None = None

    def schedules(self) -> list[Schedule]:
        """The served deployment's schedule: cron wins over interval; none if unset."""
        if self.cron:
            return [Cron(self.cron, timezone=self.timezone, slug=f"{self.name}-cron")]
        if self.interval_minutes:
            return [
                Interval(
                    timedelta(minutes=self.interval_minutes),
                    anchor_date=SCHEDULE_ANCHOR,
                    timezone=self.timezone,
                    slug=f"{self.name}-interval",
                )
            ]
        return []

    def triggers(self) -> list[DeploymentEventTrigger]:
        """Run after each completed run of ``after_flow``, if set."""
        if not self.after_flow:
            return []
        return [
            DeploymentEventTrigger(
                name=f"{self.name} after {self.after_flow}",
                expect={"prefect.flow-run.Completed"},
                match_related={
                    "prefect.resource.role": "flow",
                    "prefect.resource.name": self.after_flow,
                },
            )
        ]


def ensure_work_pool(pool: str, queue: str) -> None:
    """Create the process work pool and its queue unless they exist."""
    with get_client(sync_client=True) as client:
        try:
            client.read_work_pool(pool)
        except ObjectNotFound:
            template = ProcessWorker.get_default_base_job_template()
            try:
                client.create_work_pool(
                    WorkPoolCreate(
                        name=pool, type="process", base_job_template=template
                    )
                )
                logger.info("Created work pool %s", pool)
            except ObjectAlreadyExists:  # the worker created it meanwhile
                pass
        try:
            client.read_work_queue_by_name(name=queue, work_pool_name=pool)
        except ObjectNotFound:
            try:
                client.create_work_queue(name=queue, work_pool_name=pool)
                logger.info("Created work queue %s on %s", queue, pool)
            except ObjectAlreadyExists:
                pass


def register_pool_deployment(
    flow: Flow[..., Any], config: ServeConfig, entrypoint: str, root: Path
) -> Any:
    """Create or update ``<flow>/<pool deployment>`` run by the process worker.

    No schedule (users start these runs); the worker runs the entrypoint from
    ``root`` (``/app`` in the image), so code, ``conf/`` and ``data/`` are found.
    """
    ensure_work_pool(config.pool, config.queue)
    with get_client(sync_client=True) as client:
        deployment_id = client.create_deployment(
            flow_id=client.create_flow_from_name(flow.name),
            name=config.pool_deployment,
            work_pool_name=config.pool,
            work_queue_name=config.queue,
            entrypoint=entrypoint,
            path=str(root),
            pull_steps=[
                {
                    "prefect.deployments.steps.set_working_directory": {
                        "directory": str(root)
                    }
                }
            ],
            job_variables={"working_dir": str(root)},
            parameters=config.parameters,
            parameter_openapi_schema=parameter_schema(flow).model_dump_for_openapi(),
            enforce_parameter_schema=True,
            tags=config.tags,
            description=f"{config.description} Runs on the worker (pool "
            f"{config.pool}, queue {config.queue}); start it by hand.",
        )
    logger.info("Registered deployment %s/%s", flow.name, config.pool_deployment)
    return deployment_id


def has_run(flow_name: str) -> bool:
    """Tell whether a run of ``flow_name`` (any deployment) completed or is underway."""
    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(
            flow_filter=FlowFilter(name=FlowFilterName(any_=[flow_name])),
            flow_run_filter=FlowRunFilter(
                state=FlowRunFilterState(
                    type=FlowRunFilterStateType(
                        any_=[StateType.COMPLETED, StateType.RUNNING,
                              StateType.PENDING]
                    )
                )
            ),
            limit=1,
        )
    return bool(runs)


def start_first_run(flow_name: str, deployment_name: str) -> None:
    """Start a run now when the flow never ran (fresh volume): results in minutes."""
    if has_run(flow_name):
        return
    logger.info("No %s run yet: starting one now.", flow_name)
    run_deployment(f"{flow_name}/{deployment_name}", timeout=0)
