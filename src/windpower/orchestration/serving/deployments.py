"""How a flow is served: its schedule, its triggers, its first run."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from prefect import get_client
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
from prefect.schedules import Cron, Interval, Schedule

from windpower.orchestration.serving.events import (
    AS_OF_FROM_EVENT,
    DEFAULT_COOLDOWN,
    DEGRADED_EVENT,
    retrain_on_degradation,
    run_on_event,
)

logger = logging.getLogger(__name__)

# Interval schedules count from a fixed anchor, so restarting the serve container
# neither shifts the schedule nor adds runs: "every 60 min" means on the hour.
SCHEDULE_ANCHOR = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class ServeConfig:
    """How one flow is served and deployed (read from the environment)."""

    # The served deployment's name; `cli.main` fills in the flow's own.
    name: str = ""
    interval_minutes: float | None = None
    cron: str | None = None
    timezone: str = "UTC"
    parameters: dict[str, Any] = field(default_factory=dict)
    # `cli.main` fills in "windpower" and the flow's kind ("training", ...).
    tags: list[str] = field(default_factory=list)
    description: str = ""
    run_on_start: bool = False
    # Events (windpower.*) that start a run at the event's as_of.
    events: tuple[str, ...] = ()
    # At most one run per this many hours from windpower.model.degraded.
    retrain_cooldown_hours: float = DEFAULT_COOLDOWN / timedelta(hours=1)

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
        """One trigger per event; degradation retrains at most once per cooldown."""
        triggers = []
        for event in self.events:
            name = f"{self.name} on {event}"
            if event == DEGRADED_EVENT:
                triggers.append(retrain_on_degradation(
                    timedelta(hours=self.retrain_cooldown_hours),
                    parameters=dict(AS_OF_FROM_EVENT), name=name))
            else:
                triggers.append(run_on_event(event, name))
        return triggers


UNDERWAY = (StateType.RUNNING, StateType.PENDING)


def has_run(flow_name: str, states: tuple[StateType, ...] = (
        StateType.COMPLETED, *UNDERWAY), site: str | None = None) -> bool:
    """Tell whether a run of ``flow_name`` (any deployment) is in one of ``states``
    (default: completed or underway); given ``site``, a run for that site or for
    every site."""
    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(
            flow_filter=FlowFilter(name=FlowFilterName(any_=[flow_name])),
            flow_run_filter=FlowRunFilter(
                state=FlowRunFilterState(
                    type=FlowRunFilterStateType(any_=list(states))
                )
            ),
            limit=1 if site is None else 100,
        )
    return any(site is None or (run.parameters or {}).get("site") in (site, None, "")
               for run in runs)


def start_first_run(flow_name: str, deployment_name: str) -> None:
    """Start a run now when the flow never ran (fresh volume): results in minutes."""
    if has_run(flow_name):
        return
    logger.info("No %s run yet: starting one now.", flow_name)
    run_deployment(f"{flow_name}/{deployment_name}", timeout=0)
