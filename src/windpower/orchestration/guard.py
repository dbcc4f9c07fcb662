"""One run of each flow at a time, whichever deployment started it."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from prefect import get_client
from prefect.concurrency.sync import concurrency
from prefect.exceptions import MissingContextError
from prefect.logging import get_run_logger

logger = logging.getLogger(__name__)

# Global concurrency limits, one slot each: the flow holds its slot for the whole
# Kedro run. A crashed holder's lease expires, so a dead run never blocks forever.
TRAINING_LIMIT = "windpower-training"
INFERENCE_LIMIT = "windpower-inference"
INGEST_LIMIT = "windpower-ingest"
MONITORING_LIMIT = "windpower-monitoring"
FLOW_LIMITS = (TRAINING_LIMIT, INFERENCE_LIMIT, INGEST_LIMIT, MONITORING_LIMIT)
# Renewed every 90 s while the run lives; after a killed run (marked CRASHED within
# ~90 s, see crashes.py) the next run waits at most this long, not Prefect's 300 s.
LEASE_SECONDS = 120


def ensure_concurrency_limit(name: str, slots: int = 1) -> None:
    """Create the global concurrency limit ``name`` with ``slots``, or fix it."""
    with get_client(sync_client=True) as client:
        client.upsert_global_concurrency_limit_by_name(name=name, limit=slots)


@contextmanager
def run_exclusively(name: str, wait_seconds: float | None = None) -> Iterator[None]:
    """Hold the only slot of the global limit ``name`` while the body runs.

    A second run waits (logged) until the first releases the slot, or fails with
    ``TimeoutError`` after ``wait_seconds`` (``None``: wait as long as needed).
    """
    ensure_concurrency_limit(name)
    log = _run_logger()
    log.info("Waiting for the '%s' slot (one run at a time)...", name)
    with concurrency(
        name, occupy=1, timeout_seconds=wait_seconds, lease_duration=LEASE_SECONDS,
        strict=True,
    ):
        log.info("Holding the '%s' slot.", name)
        yield


def _run_logger() -> logging.Logger | logging.LoggerAdapter:
    """The Prefect run logger inside a run (shows in the UI), else this module's."""
    try:
        return get_run_logger()
    except MissingContextError:
        return logger
