"""The windpower database for monitoring tests: migrated by ``windpower.store``,
emptied before each test, and loaded with COPY, all rows of one site."""

import pandas as pd
import psycopg2

from windpower.store import migrate
from windpower.store.load import copy_frame as copy_into

TABLES = ("turbines", "readings", "weather_forecasts", "predictions",
          "forecast_quality")
SITE = "default"


def create_tables(db_url: str) -> None:
    """Bring the schema up to date (``python -m windpower.store migrate``) and
    empty the tables monitoring reads and writes."""
    conn = psycopg2.connect(db_url)
    try:
        migrate(conn)
        with conn, conn.cursor() as cur:
            cur.execute(f"TRUNCATE {', '.join(TABLES)}")
            cur.execute("INSERT INTO sites (site_id, name) VALUES (%s, %s) "
                        "ON CONFLICT DO NOTHING", (SITE, "Test site"))
    finally:
        conn.close()


def copy_frame(db_url: str, table: str, frame: pd.DataFrame) -> None:
    """Bulk-load a frame into ``table`` (COPY, columns by name), as the rows of
    ``SITE``."""
    conn = psycopg2.connect(db_url)
    try:
        with conn, conn.cursor() as cur:
            copy_into(cur, table, frame.assign(site_id=SITE))
            # As ingest does after a large write: planner statistics.
            cur.execute(f"ANALYZE {table}")
    finally:
        conn.close()

