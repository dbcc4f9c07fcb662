"""Connect to the windpower database, retrying while it starts."""

import logging
import os
import time

import psycopg2
from psycopg2.extensions import connection as Connection

logger = logging.getLogger(__name__)
CONNECT_TIMEOUT_S = 10


class StoreUnavailableError(RuntimeError):
    """The database URL is not set, or the server did not answer in time."""


def connect(url_env: str = "WINDPOWER_DB_URL", retries: int = 5,
            backoff: float = 1.0) -> Connection:
    """A psycopg2 connection to the database named by ``$url_env``.

    The URL is read here, at call time, so the secret never enters config or logs.
    Sessions run in UTC, so naive timestamps read or written are UTC.

    Args:
        url_env: Environment variable holding the libpq URL.
        retries: Connection attempts before giving up.
        backoff: First wait between attempts in seconds; doubles each time.

    Raises:
        StoreUnavailableError: the variable is unset or empty, or every attempt
            failed (the message gives the last server error, never the URL).
    """
    url = os.environ.get(url_env)
    if not url:
        raise StoreUnavailableError(f"set {url_env} to the windpower database URL")
    for attempt in range(1, retries + 1):
        try:
            return psycopg2.connect(url, connect_timeout=CONNECT_TIMEOUT_S,
                                    options="-c TimeZone=UTC")
        except psycopg2.OperationalError as exc:
            detail = str(exc).strip().splitlines()[0]
            if attempt == retries:
                raise StoreUnavailableError(
                    f"cannot connect to the windpower database after {attempt} "
                    f"attempts: {detail}") from exc
            wait = backoff * 2 ** (attempt - 1)
            logger.warning("database not reachable (%s); retry in %.1fs", detail,
                           wait)
            time.sleep(wait)
    raise StoreUnavailableError("retries must be >= 1")
