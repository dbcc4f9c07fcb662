"""No run stays Running forever: runs whose heartbeats stop are marked CRASHED.

Flow runs send a heartbeat every ``PREFECT_FLOWS_HEARTBEAT_FREQUENCY`` seconds
(default 180). If the process running a flow dies (worker container killed, OOM),
nothing else would ever leave the Running state; this automation does.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from prefect import get_client
from prefect.automations import Automation
from prefect.client.schemas.objects import StateType
from prefect.events.actions import ChangeFlowRunState
from prefect.events.schemas.automations import EventTrigger, Posture
from prefect.exceptions import PrefectHTTPStatusError
from prefect.settings import get_current_settings

logger = logging.getLogger(__name__)

AUTOMATION_NAME = "windpower: crash flow runs without heartbeats"
# Missed heartbeats before a run counts as dead.
MISSED_HEARTBEATS = 3
_FINAL_EVENTS = {
    "prefect.flow-run.heartbeat",
    "prefect.flow-run.Completed",
    "prefect.flow-run.Failed",
    "prefect.flow-run.Cancelled",
    "prefect.flow-run.Crashed",
}


def crash_detection(heartbeat_seconds: int) -> Automation:
    """The automation: heartbeat then silence for 3 beats => CRASHED."""
    return Automation(
        name=AUTOMATION_NAME,
        description="Marks flow runs CRASHED when their heartbeats stop.",
        trigger=EventTrigger(
            after={"prefect.flow-run.heartbeat"},
            expect=_FINAL_EVENTS,
            match={"prefect.resource.id": ["prefect.flow-run.*"]},
            for_each={"prefect.resource.id"},
            posture=Posture.Proactive,
            threshold=1,
            within=timedelta(seconds=heartbeat_seconds * MISSED_HEARTBEATS),
        ),
        actions=[
            ChangeFlowRunState(
                state=StateType.CRASHED,
                message="The process running this flow stopped sending heartbeats "
                "(container killed or out of memory?).",
            )
        ],
    )


def ensure_crash_detection() -> None:
    """Create the crash-detection automation unless it exists; keep exactly one."""
    heartbeat = get_current_settings().flows.heartbeat_frequency
    if not heartbeat:
        logger.warning("Flow heartbeats are off: crashed runs are not detected.")
        return
    with get_client(sync_client=True) as client:
        existing = client.read_automations_by_name(AUTOMATION_NAME)
        if not existing:
            crash_detection(heartbeat).create()
            logger.info("Created automation %r", AUTOMATION_NAME)
            existing = client.read_automations_by_name(AUTOMATION_NAME)
        # Both flow servers start at once and may both create it; two copies would
        # crash each run twice. Every process keeps the same one: the lowest id.
        for extra in sorted(existing, key=lambda a: str(a.id))[1:]:
            try:
                client.delete_automation(extra.id)
            except PrefectHTTPStatusError as error:
                if error.response.status_code != 404:  # 404: the other one won
                    raise
