"""Which failures are worth retrying: lost connections to MLflow or Postgres."""

from __future__ import annotations

import os
from typing import Any

# Backoff for tasks that talk to MLflow or Postgres: 3 retries, 2 s, 5 s, 15 s.
RETRIES = 3
RETRY_DELAYS = [2, 5, 15]

# Exception classes, by "module.Class" name, that mean "the server was not reachable
# or dropped us". Names rather than imports: not every process has every driver.
_TRANSIENT_CLASS_NAMES = frozenset(
    {
        "requests.exceptions.ConnectionError",
        "requests.exceptions.Timeout",
        "requests.exceptions.ConnectTimeout",
        "requests.exceptions.ReadTimeout",
        "urllib3.exceptions.MaxRetryError",
        "urllib3.exceptions.NewConnectionError",
        "urllib3.exceptions.ProtocolError",
        "httpx.ConnectError",
        "httpx.ReadTimeout",
        "httpx.ConnectTimeout",
        "httpx.RemoteProtocolError",
        "sqlalchemy.exc.OperationalError",
        "sqlalchemy.exc.DisconnectionError",
        "sqlalchemy.exc.InterfaceError",
        "psycopg2.OperationalError",
        "psycopg2.InterfaceError",
    }
)
# MLflow wraps its HTTP failures in MlflowException; these phrases mark the
# connection-level ones (a 4xx answer is not transient).
_TRANSIENT_MESSAGES = (
    "max retries exceeded",
    "connection refused",
    "connection reset",
    "connection aborted",
    "temporary failure in name resolution",
    "name or service not known",
    "server closed the connection",
    "could not connect to server",
    "timed out",
)


def _qualified_names(exc: BaseException) -> set[str]:
    return {f"{cls.__module__}.{cls.__qualname__}" for cls in type(exc).__mro__}


def _exception_chain(exc: BaseException | None) -> list[BaseException]:
    chain: list[BaseException] = []
    while exc is not None and exc not in chain:
        chain.append(exc)
        exc = exc.__cause__ or exc.__context__
    return chain


def is_transient_error(exc: BaseException | None) -> bool:
    """Tell whether ``exc`` (or anything it was raised from) is a lost connection."""
    for link in _exception_chain(exc):
        if isinstance(link, ConnectionError | TimeoutError):
            return True
        if _qualified_names(link) & _TRANSIENT_CLASS_NAMES:
            return True
        message = str(link).lower()
        if type(link).__name__ == "MlflowException" and any(
            phrase in message for phrase in _TRANSIENT_MESSAGES
        ):
            return True
    return False


def retry_on_connection_error(task: Any, task_run: Any, state: Any) -> bool:
    """Prefect ``retry_condition_fn``: retry only on a lost connection."""
    # raise_on_failure=False hands back the exception instead of re-raising it, so
    # the failure's traceback does not grow a frame from this function.
    error = state.result(raise_on_failure=False)
    return isinstance(error, BaseException) and is_transient_error(error)


def limit_mlflow_http_retries() -> None:
    """Keep MLflow's own HTTP retries short so Prefect's backoff decides.

    MLflow retries 7 times with a backoff factor of 2 by default (minutes of silence
    before a task even fails); an explicit environment setting still wins.
    """
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "2")
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR", "1")
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", "30")
