"""Read back what a flow run left on the Prefect server."""

from __future__ import annotations

from uuid import UUID

from prefect import get_client
from prefect.client.schemas.filters import (
    ArtifactFilter,
    ArtifactFilterFlowRunId,
    FlowRunFilter,
    FlowRunFilterId,
    LogFilter,
    LogFilterFlowRunId,
)
from prefect.client.schemas.objects import Artifact, TaskRun
from prefect.client.schemas.sorting import TaskRunSort
from prefect.logging.handlers import APILogHandler


def task_runs(flow_run_id: UUID) -> list[TaskRun]:
    """Task runs of ``flow_run_id``, oldest first."""
    with get_client(sync_client=True) as client:
        return client.read_task_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id])),
            sort=TaskRunSort.EXPECTED_START_TIME_ASC,
        )


def log_messages(flow_run_id: UUID) -> list[tuple[str, str]]:
    """``(logger name, message)`` of every log line of ``flow_run_id``."""
    APILogHandler().flush()
    with get_client(sync_client=True) as client:
        logs = client.read_logs(
            log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[flow_run_id]))
        )
    return [(log.name, log.message) for log in logs]


def artifacts(flow_run_id: UUID) -> list[Artifact]:
    """Artifacts published by ``flow_run_id``."""
    with get_client(sync_client=True) as client:
        return client.read_artifacts(
            artifact_filter=ArtifactFilter(
                flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run_id])
            )
        )
