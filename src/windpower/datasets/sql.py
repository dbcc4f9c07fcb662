"""Read a SQL query's result, upsert a frame on a key: Postgres (psycopg2).

The query runs in Postgres (joins and aggregates stay there) and its result comes
back through ``COPY ... TO STDOUT`` as CSV, which pandas parses in C: ~10x faster
than ``cursor.fetchall()`` building a Python tuple and datetime per value.
"""

import io
import logging
import os
import time
from typing import Any

import pandas as pd
import psycopg2
from kedro.io import AbstractDataset, DatasetError
from psycopg2 import sql
from psycopg2.extras import execute_values

logger = logging.getLogger(__name__)


def connect(url_env: str, retries: int = 5, backoff_seconds: float = 1.0):
    """A psycopg2 connection to ``$url_env``, retrying connection errors."""
    url = os.environ.get(url_env)
    if not url:
        raise DatasetError(f"set {url_env} to the windpower database URL")
    for attempt in range(1, retries + 1):
        try:
            return psycopg2.connect(url, connect_timeout=10)
        except psycopg2.OperationalError as exc:
            if attempt == retries:
                raise DatasetError(f"cannot connect to the database after {attempt} "
                                   f"attempts: {exc}") from exc
            wait = backoff_seconds * 2 ** (attempt - 1)
            logger.warning("database not reachable (%s); retry in %.1fs",
                           str(exc).strip(), wait)
            time.sleep(wait)
    raise DatasetError("unreachable")  # pragma: no cover, loop always returns


def query_params(params: dict[str, Any]) -> dict[str, Any]:
    """Bind values for the query; ``as_of: null`` is now (UTC), strings are parsed."""
    bound = dict(params)
    if "as_of" in bound:
        as_of = bound["as_of"]
        stamp = pd.Timestamp.now(tz="UTC") if as_of is None else pd.Timestamp(as_of)
        stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp
        bound["as_of"] = stamp.tz_convert("UTC").to_pydatetime()
    return bound


class PostgresQueryDataset(AbstractDataset[None, pd.DataFrame]):
    """The result of one parameterised query (read-only).

    Args:
        sql: The query, with ``%(name)s`` placeholders.
        url_env: Environment variable holding the libpq URL (read at load time).
        load_args: ``params`` (values for the placeholders; ``as_of: null`` = now),
            ``parse_dates`` (columns parsed as UTC timestamps) and ``dtype``
            (``read_csv`` types; ``category`` makes repeated ids cheap).
    """

    def __init__(self, sql: str, *, url_env: str = "WINDPOWER_DB_URL",
                 load_args: dict[str, Any] | None = None, retries: int = 5,
                 backoff_seconds: float = 1.0):
        self._sql, self._url_env = sql.strip().rstrip(";"), url_env
        self._load_args = load_args or {}
        self._retries, self._backoff = retries, backoff_seconds

    def load(self) -> pd.DataFrame:
        params = query_params(self._load_args.get("params", {}))
        buffer = io.StringIO()
        conn = connect(self._url_env, self._retries, self._backoff)
        try:
            with conn, conn.cursor() as cur:
                cur.execute("SET TIME ZONE 'UTC'")
                query = cur.mogrify(self._sql, params).decode()
                cur.copy_expert(f"COPY ({query}) TO STDOUT WITH (FORMAT csv, HEADER)",
                                buffer)
        finally:
            conn.close()
        buffer.seek(0)
        dtype = {"turbine_id": str} | self._load_args.get("dtype", {})
        frame = pd.read_csv(buffer, dtype=dtype)
        for column in self._load_args.get("parse_dates", []):
            frame[column] = pd.to_datetime(frame[column], utc=True, format="ISO8601")
        frame.attrs["query_params"] = {k: str(v) for k, v in params.items()}
        logger.info("query returned %d rows (%s)", len(frame), params)
        return frame

    def save(self, data: None) -> None:
        raise DatasetError("a query dataset is read-only")

    def _describe(self) -> dict[str, Any]:
        return {"url_env": self._url_env, "load_args": self._load_args}


class PostgresUpsertDataset(AbstractDataset[pd.DataFrame, pd.DataFrame]):
    """Insert a frame into an existing table, updating rows whose key exists.

    Args:
        table: Table name (created by ``windpower.store`` migrations).
        key: Primary-key columns (the ``ON CONFLICT`` target).
        url_env: Environment variable holding the libpq URL.
        touch_column: Column set to ``now()`` on every write (e.g. ``computed_at``).
    """

    def __init__(self, table: str, key: list[str], *, url_env: str = "WINDPOWER_DB_URL",
                 touch_column: str | None = None, retries: int = 5,
                 backoff_seconds: float = 1.0):
        self._table, self._key, self._url_env = table, list(key), url_env
        self._touch = touch_column
        self._retries, self._backoff = retries, backoff_seconds

    def _statement(self, columns: list[str]) -> sql.Composed:
        ident = [sql.Identifier(c) for c in columns]
        updates = [sql.SQL("{0} = EXCLUDED.{0}").format(sql.Identifier(c))
                   for c in columns if c not in self._key]
        if self._touch:
            updates.append(sql.SQL("{} = now()").format(sql.Identifier(self._touch)))
        return sql.SQL("INSERT INTO {} ({}) VALUES %s ON CONFLICT ({}) DO UPDATE "
                       "SET {}").format(
            sql.Identifier(self._table), sql.SQL(", ").join(ident),
            sql.SQL(", ").join(sql.Identifier(c) for c in self._key),
            sql.SQL(", ").join(updates))

    def save(self, data: pd.DataFrame) -> None:
        columns = list(data.columns)
        # None, not NaN, so Postgres stores NULL (e.g. coverage without P10/P90).
        values = data.astype(object).where(data.notna(), None)
        rows = [tuple(r) for r in values.itertuples(index=False, name=None)]
        conn = connect(self._url_env, self._retries, self._backoff)
        try:
            with conn, conn.cursor() as cur:
                statement = self._statement(columns).as_string(cur)
                execute_values(cur, statement, rows, page_size=1000)
        finally:
            conn.close()
        logger.info("upserted %d rows into %s", len(rows), self._table)

    def load(self) -> pd.DataFrame:
        conn = connect(self._url_env, self._retries, self._backoff)
        try:
            with conn, conn.cursor() as cur:
                cur.execute(sql.SQL("SELECT * FROM {}").format(
                    sql.Identifier(self._table)))
                names = [c.name for c in cur.description]
                return pd.DataFrame(cur.fetchall(), columns=names)
        finally:
            conn.close()

    def _describe(self) -> dict[str, Any]:
        return {"table": self._table, "key": self._key}
