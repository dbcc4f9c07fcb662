"""Postgres as the record of every input: schema, bulk load, file ingest, readers.

- ``python -m windpower.store migrate``: schema up to date (``migrations``).
- ``connect()``: a connection from ``$WINDPOWER_DB_URL``, retried while it starts.
- ``windpower.store.ingest``: ``ingest_file`` (contract files, once per content)
  and ``ingest_frame`` (in-memory rows, e.g. the demo farm).
- ``windpower.store.load``: ``upsert_frame``, the idempotent bulk load under both.
- ``windpower.store.readers``: ``read_readings``, ``read_turbines``,
  ``last_reading_time``, ``latest_weather_forecast``.

Only the light parts are imported here, so ``migrate`` starts without pandas'
and the data contract's imports.
"""

from windpower.store.connection import StoreUnavailableError, connect
from windpower.store.migrations import migrate

__all__ = ["StoreUnavailableError", "connect", "migrate"]
