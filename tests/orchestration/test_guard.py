"""run_exclusively on a real Prefect server: two guarded runs never overlap, and
runs starting together on a fresh server all get their limit."""

from __future__ import annotations

import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from prefect import get_client

from windpower.orchestration.flows.guard import (
    ensure_concurrency_limit,
    run_exclusively,
)

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


def _ensure_together(name: str, start: threading.Barrier) -> None:
    start.wait()
    ensure_concurrency_limit(name)


def test_runs_creating_the_same_limit_at_once_all_start() -> None:
    # Prefect's upsert reads, then creates: without our retry about 3 in 4 of these
    # calls failed with ObjectAlreadyExists (2026-12-05).
    for _ in range(5):
        name = f"test-guard-{uuid.uuid4().hex[:8]}"
        start = threading.Barrier(4)
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(lambda _: _ensure_together(name, start), range(4)))
        with get_client(sync_client=True) as client:
            assert client.read_global_concurrency_limit_by_name(name).limit == 1
