"""Postgres as the record of every input: schema, bulk load, file ingest, readers."""

from windpower.store.connection import StoreUnavailableError, connect
from windpower.store.migrations import migrate

__all__ = ["StoreUnavailableError", "connect", "migrate"]
