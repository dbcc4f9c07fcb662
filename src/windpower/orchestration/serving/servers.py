"""Which Prefect and MLflow servers ``run`` uses: the configured ones, or none.

A configured server is waited for (it may still be starting), then the run fails
loudly: a run that silently trained into a private store would look like success.
Only when nothing is configured does ``run`` use local stores, and says so.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.error import URLError
from urllib.parse import urlparse
from urllib.request import urlopen

from prefect.events.worker import EventsWorker
from prefect.logging.handlers import APILogHandler
from prefect.settings import PREFECT_API_URL, temporary_settings

from windpower.orchestration.internals import use_mlflow_artifact_root

logger = logging.getLogger(__name__)

# How long a health probe may take before a server counts as unreachable.
PROBE_TIMEOUT_SECONDS = 3.0
# How long a configured server may take to answer (it may be starting).
WAIT_ENV = "WINDPOWER_SERVER_WAIT_SECONDS"
DEFAULT_WAIT_SECONDS = 60.0
# Prefect waits 20 s for its temporary server; a busy machine needs longer.
LOCAL_SERVER_STARTUP_SECONDS = 120
DATABASE_SCHEMES = {"sqlite", "postgresql", "mysql", "mssql"}


class ServerUnreachableError(RuntimeError):
    """A configured server did not answer in time; the message names it."""

    def __init__(self, what: str, variable: str, url: str, waited: float):
        super().__init__(f"{what} {url} ({variable}) did not answer within "
                         f"{waited:g} s ({WAIT_ENV}); nothing was run")


def wait_seconds() -> float:
    """How long to wait for a configured server (``WINDPOWER_SERVER_WAIT_SECONDS``)."""
    return float(os.environ.get(WAIT_ENV) or DEFAULT_WAIT_SECONDS)


def is_reachable(health_url: str, timeout: float = PROBE_TIMEOUT_SECONDS) -> bool:
    """Tell whether ``health_url`` answers with a 2xx status."""
    try:
        with urlopen(health_url, timeout=timeout) as response:  # noqa: S310
            return 200 <= response.status < 300  # noqa: PLR2004
    except (URLError, OSError, ValueError):
        return False


def wait_until_reachable(health_url: str, seconds: float) -> bool:
    """Probe ``health_url`` every 2 s until it answers or ``seconds`` have passed."""
    deadline = time.monotonic() + seconds
    while not is_reachable(health_url):
        if time.monotonic() >= deadline:
            return False
        logger.info("waiting for %s ...", health_url)
        time.sleep(min(2.0, max(0.0, deadline - time.monotonic())))
    return True


@contextmanager
def configured_prefect_api() -> Iterator[str | None]:
    """Use ``PREFECT_API_URL`` once it answers; with none, a temporary server.

    Yields:
        The API URL in use, or ``None`` for Prefect's temporary local server
        (stopped on exit, so nothing is logged after the caller's last words).

    Raises:
        ServerUnreachableError: the configured API did not answer in time.
    """
    api_url = PREFECT_API_URL.value()
    if api_url:
        seconds = wait_seconds()
        if not wait_until_reachable(api_url.rstrip("/") + "/health", seconds):
            raise ServerUnreachableError("Prefect API", "PREFECT_API_URL", api_url,
                                         seconds)
        yield api_url
        return
    # The server app is a heavy import that only this case needs.
    from prefect.server.api.server import SubprocessASGIServer  # noqa: PLC0415

    # Started here, not by the first client that needs it: Prefect waits 20 s for
    # it, and only the caller's thread would see a longer wait set in settings.
    server = SubprocessASGIServer()
    server.start(timeout=LOCAL_SERVER_STARTUP_SECONDS)
    # Set but empty counts as unset here; Prefect's events worker would take "" for
    # a server's URL and fail on every event.
    saved = os.environ.pop("PREFECT_API_URL", None)
    try:
        with temporary_settings(restore_defaults={PREFECT_API_URL}):
            yield None
    finally:
        # Send what is queued, then stop: nothing is logged after the caller's
        # last words (Prefect would stop it at exit, after them).
        APILogHandler().flush()
        EventsWorker.drain_all(timeout=10)
        server.stop()
        if saved is not None:
            os.environ["PREFECT_API_URL"] = saved


def configured_mlflow(fallback_dir: Path) -> str | None:
    """Make ``MLFLOW_TRACKING_URI`` usable; with none, track to local sqlite.

    An http(s) server is waited for. A database URI (``sqlite:////tmp/m.db``) gets
    its artifacts next to the database file (sqlite) or under ``fallback_dir``,
    because MLflow's default, ``./mlruns``, is read-only in the image.

    Args:
        fallback_dir: Writable directory for the local store and artifacts.

    Returns:
        The local tracking URI when none was configured, else ``None``.

    Raises:
        ServerUnreachableError: the configured server did not answer in time.
    """
    uri = os.environ.get("MLFLOW_TRACKING_URI", "")
    parsed = urlparse(uri)
    if parsed.scheme in {"http", "https"}:
        seconds = wait_seconds()
        if not wait_until_reachable(uri.rstrip("/") + "/health", seconds):
            raise ServerUnreachableError("MLflow tracking server",
                                         "MLFLOW_TRACKING_URI", uri, seconds)
        return None
    local = not uri
    if local:
        fallback_dir.mkdir(parents=True, exist_ok=True)
        uri = f"sqlite:///{(fallback_dir / 'mlflow.db').resolve()}"
        os.environ["MLFLOW_TRACKING_URI"] = uri
        logger.warning("MLFLOW_TRACKING_URI is unset: tracking to %s", uri)
    database = urlparse(uri).scheme.split("+")[0] in DATABASE_SCHEMES
    if database:
        use_mlflow_artifact_root(_artifact_root(uri, fallback_dir))
    return uri if local else None


def _artifact_root(uri: str, fallback_dir: Path) -> Path:
    """``mlartifacts`` next to a sqlite file, else under ``fallback_dir``."""
    parsed = urlparse(uri)
    if parsed.scheme == "sqlite" and parsed.path not in {"", "/", "/:memory:"}:
        # sqlite:////abs/m.db has path //abs/m.db; sqlite:///rel.db has /rel.db.
        database = Path(parsed.path[1:])
        return database.resolve().parent / "mlartifacts"
    return fallback_dir.resolve() / "mlartifacts"
