"""The private framework internals the tests still need, one function each.

Each says why no public API does, and has a canary in
tests/orchestration/test_internals.py that names it and the installed version when
an upgrade removes or changes it. They are imported when called, so that an
upgrade fails those canaries, not the import of every conftest. The product's own
are in ``windpower.orchestration.internals``.
"""

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

import pytest


@contextmanager
def prefect_harness_on(port: int, startup_seconds: int = 120) -> Iterator[None]:
    """Prefect's test harness, on the server already started for ``port``.

    The harness starts a server of its own, on the port its private
    ``_find_available_port`` picks; told ours, it finds that server running and
    only points this process at it, so the suite need not wait for a second one.
    """
    import prefect.testing.utilities  # noqa: PLC0415

    with ExitStack() as stack:
        with pytest.MonkeyPatch.context() as patch:  # only while the harness starts
            patch.setattr(prefect.testing.utilities, "_find_available_port",
                          lambda: port)
            stack.enter_context(prefect.testing.utilities.prefect_test_harness(
                server_startup_timeout=startup_seconds))
        yield


def track_to(uri: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make MLflow track to ``uri`` through ``MLFLOW_TRACKING_URI`` for one test.

    A URI set in code (``mlflow.set_tracking_uri``, e.g. by a fallback in an
    earlier test) wins over the variable, and MLflow has no public way to unset it.
    """
    from mlflow.tracking._tracking_service import utils  # noqa: PLC0415

    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    monkeypatch.setattr(utils, "_tracking_uri", None)


def forget_active_experiment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Forget the experiment an earlier ``mlflow.set_experiment`` made active.

    MLflow caches its id in a module global (and ``MLFLOW_EXPERIMENT_ID``) with no
    public way to clear it; a new store would otherwise be asked for an id it lacks.
    """
    from mlflow.tracking import fluent  # noqa: PLC0415

    monkeypatch.delenv("MLFLOW_EXPERIMENT_ID", raising=False)
    monkeypatch.setattr(fluent, "_active_experiment_id", None)


def stop_prefect_services(timeout: float = 10) -> None:
    """Stop Prefect's process-wide background services (events, logs, concurrency
    slots), sending what they hold first.

    Each keeps the client it started with. Prefect stops them all only at exit;
    its public classes document stopping one kind of service, not every kind.
    """
    from prefect._internal.concurrency.services import (  # noqa: PLC0415
        _QueueServiceBase,
    )

    _QueueServiceBase.drain_all(timeout=timeout)
