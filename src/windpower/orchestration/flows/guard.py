"""One run of each flow per site at a time, whichever deployment started it."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any

from prefect import get_client
from prefect.concurrency.sync import concurrency
from prefect.exceptions import MissingContextError, ObjectAlreadyExists
from prefect.logging import get_run_logger

from windpower.orchestration.flows.specs import GUARDED, FlowSpec

if TYPE_CHECKING:
    import pandas as pd

logger = logging.getLogger(__name__)

# Global concurrency limits, one slot each (FlowSpec.limit_for: per flow and
# site), created on first use: the flow holds its slot for the whole Kedro run, so
# two sites train side by side and one site never twice at once. A crashed
# holder's lease expires, so a dead run never blocks forever. The set-up creates
# the limits that need no site.
FLOW_LIMITS = tuple(spec.limit_for(None) for spec in GUARDED if not spec.per_site)
# Renewed every 90 s while the run lives; after a killed run (marked CRASHED within
# ~90 s, see setup/crashes.py) the next run waits at most this long, not Prefect's
# 300 s.
LEASE_SECONDS = 120


def ensure_concurrency_limit(name: str, slots: int = 1) -> None:
    """Create the global concurrency limit ``name`` with ``slots``, or fix it."""
    with get_client(sync_client=True) as client:
        try:
            client.upsert_global_concurrency_limit_by_name(name=name, limit=slots)
        except ObjectAlreadyExists:
            # Prefect's upsert reads, then creates: two runs starting together on a
            # fresh server both try to create. The second one only fixes it now.
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


def run_guarded(
    spec: FlowSpec,
    site: str,
    as_of: datetime | None,
    kedro_env: str | None,
    params: dict[str, Any] | None,
) -> tuple[pd.Timestamp, dict[str, Any]]:
    """A flow's body: its pipelines for ``site`` at ``as_of``, holding the only
    slot of the flow at that site.

    Returns:
        The run's ``as_of`` and the loaded summary output of its spec.
    """
    # Imported here, not by the flow modules: a flow container's serving process
    # holds Prefect alone, without Kedro and pandas (serving.cli.serve).
    from windpower.orchestration.kedro.session import (  # noqa: PLC0415
        run_kedro_pipelines,
        run_parameters,
    )

    stamp, runtime = run_parameters(as_of, params, site)
    with run_exclusively(spec.limit_for(site)):
        result = run_kedro_pipelines(
            spec.pipelines, [spec.summary], env=kedro_env, runtime_params=runtime)
    return stamp, result.outputs[spec.summary]


def _run_logger() -> logging.Logger | logging.LoggerAdapter:
    """The Prefect run logger inside a run (shows in the UI), else this module's."""
    try:
        return get_run_logger()
    except MissingContextError:
        return logger
