"""Read a SQL query's result, upsert a frame on a key: the Postgres record.

The query runs in Postgres (joins and aggregates stay there). Connections, the
reader (``COPY`` out) and the upsert are ``windpower.store``'s.
"""

import logging
from typing import Any

import pandas as pd
from kedro.io import AbstractDataset, DatasetError
from psycopg2 import sql

from windpower.clock import run_time
from windpower.store import connect
from windpower.store.load import upsert_frame
from windpower.store.readers import read_query

logger = logging.getLogger(__name__)


def query_params(params: dict[str, Any]) -> dict[str, Any]:
    """Bind values for the query; ``as_of`` (None: now) becomes a UTC datetime."""
    bound = dict(params)
    if "as_of" in bound:
        bound["as_of"] = run_time(bound["as_of"]).to_pydatetime()
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
        conn = connect(self._url_env, self._retries, self._backoff)
        try:
            with conn:
                frame = read_query(conn, self._sql, params,
                                   dtype=self._load_args.get("dtype"),
                                   parse_dates=self._load_args.get("parse_dates", []))
        finally:
            conn.close()
        logger.info("query returned %d rows (%s)", len(frame), params)
        return frame

    def save(self, data: None) -> None:
        raise DatasetError("a query dataset is read-only")

    def _describe(self) -> dict[str, Any]:
        return {"url_env": self._url_env, "load_args": self._load_args}


def _flow_run_id() -> str | None:
    """The current Prefect flow run's id (None outside one); imported here, as
    only a write needs Prefect."""
    from prefect.runtime import flow_run  # noqa: PLC0415

    return flow_run.id


def _mlflow_run_id() -> str | None:
    """The active MLflow run's id (None outside one)."""
    import mlflow  # noqa: PLC0415 (slow import, only some writes need it)

    run = mlflow.active_run()
    return run.info.run_id if run else None


class PostgresUpsertDataset(AbstractDataset[pd.DataFrame, pd.DataFrame]):
    """Upsert a frame into an existing table on its key (``store.upsert_frame``):
    new rows are inserted, changed ones updated, identical ones left alone.

    Args:
        table: Table name (created by ``python -m windpower.store migrate``).
        key: Primary-key columns.
        as_of: Given, the run's time is recorded in the rows' ``as_of`` column
            (null: now), and the Prefect flow run writing them in ``flow_run_id``
            (None outside a run).
        site: Given, the rows are the run's site's (its ``site_id`` column):
            nodes never handle the site, so features cannot mix two.
        record_mlflow_run: Record the active MLflow run (the one the project
            hook opened for this pipeline) in the rows' ``mlflow_run_id``.
        url_env: Environment variable holding the libpq URL.
    """

    def __init__(self, table: str, key: list[str], *, as_of: str | None = "",  # noqa: PLR0913
                 site: str | None = None, record_mlflow_run: bool = False,
                 url_env: str = "WINDPOWER_DB_URL", retries: int = 5,
                 backoff_seconds: float = 1.0):
        self._table, self._key, self._url_env = table, list(key), url_env
        self._as_of, self._site = as_of, site
        self._record_mlflow_run = record_mlflow_run
        self._retries, self._backoff = retries, backoff_seconds

    def save(self, data: pd.DataFrame) -> None:
        if self._as_of != "":
            data = data.assign(as_of=run_time(self._as_of),
                               flow_run_id=_flow_run_id())
        if self._site is not None:
            data = data.assign(site_id=self._site)
        if self._record_mlflow_run:
            data = data.assign(mlflow_run_id=_mlflow_run_id())
        conn = connect(self._url_env, self._retries, self._backoff)
        try:
            with conn:
                changed = upsert_frame(conn, self._table, data, self._key)
        finally:
            conn.close()
        logger.info("upserted %d rows into %s (%d new or changed)", len(data),
                    self._table, changed)

    def load(self) -> pd.DataFrame:
        conn = connect(self._url_env, self._retries, self._backoff)
        try:
            with conn:
                return read_query(conn, sql.SQL(
                    "SELECT * FROM {} WHERE site_id = %(site)s OR %(site)s IS NULL"
                ).format(sql.Identifier(self._table)), {"site": self._site})
        finally:
            conn.close()

    def _describe(self) -> dict[str, Any]:
        return {"table": self._table, "key": self._key, "site": self._site}
