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
from prefect.events.schemas.automations import AutomationCore, EventTrigger, Posture
from prefect.settings import get_current_settings

logger = logging.getLogger(__name__)

AUTOMATION_NAME = "windpower: crash flow runs without heartbeats"
# Missed heartbeats before a run counts as dead.
MISSED_HEARTBEATS = 3


def crash_detection(heartbeat_seconds: int) -> Automation:
    """Prefect's own zombie-run recipe: a heartbeat, then no flow-run event at all
    (heartbeat or state change) for three beats => CRASHED. Any state event resets
    it, so a run that timed out or failed is never crashed afterwards."""
    return Automation(
        name=AUTOMATION_NAME,
        description="Marks flow runs CRASHED when their heartbeats stop.",
        trigger=EventTrigger(
            after={"prefect.flow-run.heartbeat"},
            expect={"prefect.flow-run.*"},
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
    """Create the crash-detection automation, or bring the existing one up to date.

    Called once, by the set-up service, so there is never a second copy.
    """
    heartbeat = get_current_settings().flows.heartbeat_frequency
    if not heartbeat:
        logger.warning("Flow heartbeats are off: crashed runs are not detected.")
        return
    wanted = crash_detection(heartbeat)
    with get_client(sync_client=True) as client:
        existing = client.read_automations_by_name(AUTOMATION_NAME)
        if not existing:
            wanted.create()
            logger.info("Created automation %r", AUTOMATION_NAME)
            return
        first, *extra = sorted(existing, key=lambda a: str(a.id))
        # The server keys each run's heartbeat window by the trigger's id, and an
        # update gives the trigger a new one: the windows of the runs in flight are
        # dropped, so a run that died just before `docker compose up` re-ran set-up
        # stayed Running for ever. Update only when the definition changed.
        if _definition(first) != _definition(wanted):
            client.update_automation(first.id, wanted)
            logger.info("Updated automation %r", AUTOMATION_NAME)
        for automation in extra:  # left over by releases that raced at start
            client.delete_automation(automation.id)


def _definition(automation: AutomationCore) -> dict:
    """What the automation does, without the server's bookkeeping (id, times).
    Python mode: sets (``expect``, ``for_each``) compare as sets, not as lists."""
    return automation.model_dump(include=set(AutomationCore.model_fields))
