"""run_exclusively on a real Prefect server: two guarded runs never overlap."""

from __future__ import annotations

import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from windpower.orchestration.guard import ensure_concurrency_limit, run_exclusively

pytestmark = [pytest.mark.unit, pytest.mark.usefixtures("prefect_server")]
HOLD_SECONDS = 2.0


def _guarded_span(name: str, start: threading.Barrier) -> tuple[float, float]:
    """Enter the guarded section at the same time as the other run; (enter, exit)."""
    start.wait()
    with run_exclusively(name, wait_seconds=60):
        entered = time.monotonic()
        time.sleep(HOLD_SECONDS)
        return entered, time.monotonic()


def test_run_exclusively_never_overlaps_two_concurrent_runs() -> None:
    name = f"test-guard-{uuid.uuid4().hex[:8]}"
    ensure_concurrency_limit(name)  # as the one-shot set-up does for the real ones
    start = threading.Barrier(2)
    with ThreadPoolExecutor(2) as pool:
        spans = sorted(pool.map(lambda _: _guarded_span(name, start), range(2)))

    (_, first_exit), (second_enter, _) = spans
    assert first_exit <= second_enter, f"critical sections overlapped: {spans}"
