"""Upsert predictions into Postgres (psycopg2), retrying connection errors.

The table here is the first schema; ``windpower.store`` migrates it to the keyed
one (issued_at), after which this writer must move to ``store.load.upsert_frame``.
"""

import logging
from typing import Any

import pandas as pd
from kedro.io import AbstractDataset, DatasetError
from psycopg2 import sql
from psycopg2.extras import execute_values

from windpower.store.connection import StoreUnavailableError, connect

logger = logging.getLogger(__name__)
COLUMNS = ["timestamp", "turbine_id", "model_version", "predicted_power_kw",
           "mlflow_run_id"]
_CREATE = """
CREATE TABLE IF NOT EXISTS {table} (
    timestamp timestamptz NOT NULL,
    turbine_id text NOT NULL,
    model_version integer NOT NULL,
    predicted_power_kw double precision NOT NULL,
    mlflow_run_id text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (timestamp, turbine_id, model_version)
)"""
_UPSERT = """
INSERT INTO {table} (timestamp, turbine_id, model_version, predicted_power_kw,
                     mlflow_run_id)
VALUES %s
ON CONFLICT (timestamp, turbine_id, model_version) DO UPDATE SET
    predicted_power_kw = EXCLUDED.predicted_power_kw,
    mlflow_run_id = EXCLUDED.mlflow_run_id,
    created_at = now()"""


class PostgresPredictionsDataset(AbstractDataset[pd.DataFrame, pd.DataFrame]):
    """Table ``predictions`` in the database named by ``$WINDPOWER_DB_URL``.

    Args:
        table: Table name (created if missing).
        url_env: Environment variable holding the libpq URL (read at I/O time,
            so the secret never enters the Kedro config or logs).
        retries: Connection attempts before giving up.
        backoff_seconds: First wait between attempts; doubles each time.
    """

    def __init__(self, table: str = "predictions", url_env: str = "WINDPOWER_DB_URL",
                 retries: int = 5, backoff_seconds: float = 1.0):
        self._table, self._url_env = table, url_env
        self._retries, self._backoff = retries, backoff_seconds

    def _connect(self):
        try:
            return connect(self._url_env, self._retries, self._backoff)
        except StoreUnavailableError as exc:
            raise DatasetError(str(exc)) from exc

    def save(self, data: pd.DataFrame) -> None:
        rows = list(data[COLUMNS].itertuples(index=False, name=None))
        rows = [(ts.to_pydatetime(), str(t), int(v), float(p), str(r))
                for ts, t, v, p, r in rows]
        table = sql.Identifier(self._table)
        conn = self._connect()
        try:
            with conn, conn.cursor() as cur:
                cur.execute(sql.SQL(_CREATE).format(table=table))
                execute_values(cur, sql.SQL(_UPSERT).format(table=table).as_string(cur),
                               rows, page_size=1000)
        finally:
            conn.close()
        logger.info("upserted %d predictions into %s", len(rows), self._table)

    def load(self) -> pd.DataFrame:
        conn = self._connect()
        try:
            with conn, conn.cursor() as cur:
                cur.execute(sql.SQL("SELECT * FROM {} ORDER BY 1, 2, 3").format(
                    sql.Identifier(self._table)))
                names = [c.name for c in cur.description]
                return pd.DataFrame(cur.fetchall(), columns=names)
        finally:
            conn.close()

    def _describe(self) -> dict[str, Any]:
        return {"table": self._table, "url_env": self._url_env}
