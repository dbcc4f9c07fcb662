"""One read-only connection per request, as role windpower_reader."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from psycopg2.extensions import connection as Connection

from windpower.store.connection import connect

URL_ENV = "FORECAST_UI_DB_URL"


@contextmanager
def reading() -> Iterator[Connection]:
    """A connection whose session refuses writes (the role cannot write either:
    two locks, so a bug here never changes the record)."""
    # One attempt: a page that cannot reach the database says so at once.
    conn = connect(URL_ENV, retries=1)
    try:
        conn.set_session(readonly=True, autocommit=True)
        yield conn
    finally:
        conn.close()


def rows(conn: Connection, query: str, params: dict | tuple = ()) -> list[dict]:
    """The query's rows as dicts keyed by column name."""
    with conn.cursor() as cur:
        cur.execute(query, params)
        names = [c.name for c in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def one(conn: Connection, query: str, params: dict | tuple = ()) -> Any:
    """The first column of the first row, or None."""
    found = rows(conn, query, params)
    return next(iter(found[0].values())) if found else None
