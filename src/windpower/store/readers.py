"""Read the store into pandas for the flows (COPY out, parsed by Arrow)."""

import io

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
from psycopg2 import sql
from psycopg2.extensions import connection as Connection

from windpower.contract import OPTIONAL_COLUMNS, REQUIRED_COLUMNS

READING_COLUMNS = REQUIRED_COLUMNS["scada"] + OPTIONAL_COLUMNS["scada"]
FORECAST_COLUMNS = ["issued_at"] + REQUIRED_COLUMNS["forecast"]
TURBINE_COLUMNS = REQUIRED_COLUMNS["turbines"]
_TIMES = ("timestamp", "issued_at")


def copy_out(conn: Connection, query: sql.Composable | str, params=()) -> io.BytesIO:
    """The rows of ``query`` as CSV with a header, through ``COPY ... TO STDOUT``:
    parsed in C (Arrow or pandas), ~10x faster than building a Python tuple and
    datetime per value with ``fetchall``."""
    buffer = io.BytesIO()
    with conn.cursor() as cur:
        statement = cur.mogrify(query, params).decode()
        cur.copy_expert(f"COPY ({statement}) TO STDOUT (FORMAT csv, HEADER)", buffer)
    buffer.seek(0)
    return buffer


def read_query(conn: Connection, query: str, params: dict | None = None, *,
               dtype: dict | None = None, parse_dates: list[str] = ()
               ) -> pd.DataFrame:
    """Any query's rows (its joins and aggregates run in Postgres) as a frame:
    ``dtype`` as ``read_csv`` takes it, ``parse_dates`` columns as UTC times."""
    frame = pd.read_csv(copy_out(conn, query, params or {}),
                        dtype={"turbine_id": str} | (dtype or {}))
    for column in parse_dates:
        frame[column] = pd.to_datetime(frame[column], utc=True, format="ISO8601")
    return frame


def query_frame(conn: Connection, query: sql.Composable, columns: list[str],
                params: tuple = ()) -> pd.DataFrame:
    """Rows of ``query`` (selecting ``columns``) as a typed frame, via COPY.

    Times travel as integer microseconds since the epoch, exact and quick to
    parse; they come back as UTC timestamps. Text columns are strings, others float.
    """
    select = sql.SQL(", ").join(
        sql.SQL("(extract(epoch FROM {0}) * 1000000)::bigint AS {0}").format(
            sql.Identifier(c)) if c in _TIMES else sql.Identifier(c) for c in columns)
    buffer = copy_out(conn, sql.SQL("SELECT {} FROM ({}) AS q").format(select, query),
                      params)
    types = {c: pa.int64() if c in _TIMES else pa.string() if c == "turbine_id"
             else pa.float64() for c in columns}
    # With the header line, no rows still gives a table with its columns.
    table = pacsv.read_csv(
        buffer, convert_options=pacsv.ConvertOptions(column_types=types))
    del buffer
    # Arrow frees each column once converted: a large fleet's year is not held twice.
    frame = table.to_pandas(self_destruct=True, split_blocks=True)
    del table
    for column in set(_TIMES) & set(columns):
        frame[column] = pd.to_datetime(frame[column], unit="us", utc=True)
    return frame


def read_readings(conn: Connection, site: str, start: pd.Timestamp | None = None,
                  end: pd.Timestamp | None = None) -> pd.DataFrame:
    """The readings of ``site`` with ``start < timestamp <= end`` (None:
    unbounded; the window convention of ``windpower.clock``), contract columns.

    Returns:
        Rows sorted by turbine and time, as the validation node returns them.
    """
    query = sql.SQL("SELECT * FROM readings WHERE site_id = %(site)s AND {} AND {} "
                    "ORDER BY turbine_id, \"timestamp\"").format(
        sql.SQL("true" if start is None else '"timestamp" > %(start)s'),
        sql.SQL("true" if end is None else '"timestamp" <= %(end)s'))
    return query_frame(conn, query, READING_COLUMNS,
                       {"site": site, "start": start, "end": end})


def read_turbines(conn: Connection, site: str, as_of: pd.Timestamp | None = None
                  ) -> pd.DataFrame:
    """The turbine table of ``site`` with the contract columns, sorted by id.

    With ``as_of``, the turbines that existed then: those with a reading stamped
    at or before it (a turbine added later is unknown to a replay of the past).
    """
    existed = ("true" if as_of is None else
               "EXISTS (SELECT 1 FROM readings r WHERE r.site_id = t.site_id AND "
               "r.turbine_id = t.turbine_id AND r.\"timestamp\" <= %(as_of)s)")
    query = sql.SQL("SELECT * FROM turbines t WHERE site_id = %(site)s AND {} "
                    "ORDER BY turbine_id").format(sql.SQL(existed))
    return query_frame(conn, query, TURBINE_COLUMNS, {"site": site, "as_of": as_of})


def last_reading_time(conn: Connection, site: str | None = None
                      ) -> pd.Timestamp | None:
    """Time of the newest reading of ``site`` (None: of any site), or None when
    there is none."""
    with conn.cursor() as cur:
        cur.execute('SELECT max("timestamp") FROM readings '
                    'WHERE site_id = %(site)s OR %(site)s IS NULL', {"site": site})
        newest = cur.fetchone()[0]
    return None if newest is None else pd.Timestamp(newest).tz_convert("UTC")


def history_end(conn: Connection, site: str, now: pd.Timestamp,
                stale_after: pd.Timedelta = pd.Timedelta(days=1)
                ) -> pd.Timestamp | None:
    """Where a site's history loaded once ends, when it ended long ago; None for a
    live one.

    A history that ended more than ``stale_after`` before ``now`` (your own data,
    ingested once) is trained on its newest window: the window ending at its
    newest reading. A live feed (or an empty store) gives None: train up to now.
    """
    newest = last_reading_time(conn, site)
    if newest is None or now - newest <= stale_after:
        return None
    return newest


def latest_weather_forecast(conn: Connection, site: str, as_of: pd.Timestamp
                            ) -> pd.DataFrame:
    """The newest forecast for ``site`` issued at or before ``as_of``: its hours
    after issue.

    Returns:
        ``issued_at`` plus the forecast contract columns (no rows if none issued).
    """
    query = sql.SQL(
        "SELECT * FROM weather_forecasts WHERE site_id = %(site)s AND issued_at = "
        "(SELECT max(issued_at) FROM weather_forecasts WHERE site_id = %(site)s "
        "AND issued_at <= %(as_of)s) "
        "AND \"timestamp\" > issued_at ORDER BY turbine_id, \"timestamp\"")
    return query_frame(conn, query, FORECAST_COLUMNS, {"site": site, "as_of": as_of})


def read_weather_forecasts(conn: Connection, site: str, start: pd.Timestamp,
                           end: pd.Timestamp) -> pd.DataFrame:
    """Every forecast for ``site`` issued in ``(start, end]``, as issued: the
    forecast archive.

    Returns:
        ``issued_at`` plus the forecast contract columns, hours after the issue
        only, sorted by issue, turbine and time.
    """
    query = sql.SQL(
        "SELECT * FROM weather_forecasts WHERE site_id = %(site)s "
        "AND issued_at > %(start)s AND issued_at <= %(end)s "
        "AND \"timestamp\" > issued_at ORDER BY issued_at, turbine_id, \"timestamp\"")
    return query_frame(conn, query, FORECAST_COLUMNS,
                       {"site": site, "start": start, "end": end})
