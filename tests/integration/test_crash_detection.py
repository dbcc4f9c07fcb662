"""A run whose process dies is marked CRASHED by the heartbeat automation, within
three missed heartbeats, on a real Prefect server (as in the stack).

The run is killed in the background as soon as the servers are up
(tests/background.py) and checked by the last test of the session, so the ~90 s
wait for missed heartbeats overlaps the rest of the suite.
"""

import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from uuid import UUID

import pytest
from prefect import get_client
from prefect.client.schemas.objects import StateType
from prefect.events.filters import EventFilter, EventNameFilter, EventResourceFilter
from prefect.settings import (
    PREFECT_API_URL,
    PREFECT_FLOWS_HEARTBEAT_FREQUENCY,
    temporary_settings,
)

from tests.background import background_fixture, session_environment
from windpower.orchestration.setup.crashes import (
    MISSED_HEARTBEATS,
    ensure_crash_detection,
)

pytestmark = pytest.mark.integration
FLOW_SCRIPT = Path(__file__).with_name("sleeping_flow.py")
HEARTBEAT_SECONDS = 30  # Prefect's minimum
# Three missed beats, plus the triggers service's evaluation and a busy machine.
CRASH_BOUND_SECONDS = HEARTBEAT_SECONDS * MISSED_HEARTBEATS + 30


def _wait_for(check, timeout: float, every: float = 1.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := check():
            return result
        time.sleep(every)
    return None


def _heartbeat_seen(flow_run_id: UUID) -> bool:
    event_filter = EventFilter(
        event=EventNameFilter(name=["prefect.flow-run.heartbeat"]),
        resource=EventResourceFilter(id=[f"prefect.flow-run.{flow_run_id}"]),
    )
    with get_client(sync_client=True) as client:
        return bool(client.read_events(filter=event_filter, limit=1).events)


def _state_type(flow_run_id: UUID) -> StateType:
    with get_client(sync_client=True) as client:
        return client.read_flow_run(flow_run_id).state.type


def _start_flow_process(api_url: str) -> tuple[subprocess.Popen, UUID]:
    env = session_environment() | {
        "PREFECT_API_URL": api_url,
        "PREFECT_FLOWS_HEARTBEAT_FREQUENCY": str(HEARTBEAT_SECONDS),
    }
    process = subprocess.Popen([sys.executable, str(FLOW_SCRIPT)], env=env,
                               cwd=FLOW_SCRIPT.parent,
                               stdout=subprocess.PIPE, text=True)
    return process, UUID(process.stdout.readline().strip())


@dataclass(frozen=True)
class KilledRun:
    """A flow run whose process was killed (SIGKILL) after its first heartbeat."""

    flow_run_id: UUID
    killed_at: float  # time.monotonic()
    state_after_kill: StateType  # read just after the kill


@background_fixture("servers")
def killed_run(servers) -> KilledRun:
    """Crash detection on (as the set-up step does), then a flow process killed
    after its first heartbeat, then the set-up again: `docker compose up` after an
    upgrade stops the flow containers (their runs die) and re-runs set-up."""
    settings = {PREFECT_API_URL: servers.prefect_api_url,
                PREFECT_FLOWS_HEARTBEAT_FREQUENCY: HEARTBEAT_SECONDS}
    with temporary_settings(settings):
        ensure_crash_detection()
        process, flow_run_id = _start_flow_process(servers.prefect_api_url)
        try:
            assert _wait_for(lambda: _heartbeat_seen(flow_run_id), 60), "no heartbeat"
            # Time for the server's triggers service to open the run's window, so the
            # set-up below runs while a window is open, as in the upgrade.
            time.sleep(5)
        finally:
            process.kill()  # SIGKILL: nothing reports the end of the run
            process.wait()
        killed_at = time.monotonic()
        ensure_crash_detection()
        return KilledRun(flow_run_id, killed_at, _state_type(flow_run_id))


def test_killed_flow_process_leaves_its_run_running(killed_run):
    assert killed_run.state_after_kill == StateType.RUNNING


@pytest.mark.run_last
def test_killed_flow_run_is_marked_crashed_within_three_heartbeats(servers,
                                                                   killed_run):
    with temporary_settings({PREFECT_API_URL: servers.prefect_api_url}):
        left = CRASH_BOUND_SECONDS - (time.monotonic() - killed_run.killed_at)
        _wait_for(lambda: _state_type(killed_run.flow_run_id) == StateType.CRASHED,
                  max(left, 0), every=2)
        state = _state_type(killed_run.flow_run_id)
    elapsed = time.monotonic() - killed_run.killed_at
    assert state == StateType.CRASHED, f"{state} {elapsed:.0f} s after the kill"
