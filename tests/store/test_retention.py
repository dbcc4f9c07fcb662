"""Retention of the windpower tables: rows past a table's limit go, the rest stay."""

from datetime import UTC, datetime, timedelta

import pytest

from tests.store.conftest import count
from windpower.orchestration.flows.retention import STORE_TABLES, prune_store

# Each test talks to a real Postgres (conftest: a testcontainer).
pytestmark = pytest.mark.integration

NOW = datetime(2026, 6, 1, tzinfo=UTC)


def _add_readings(conn, *ages_days: float) -> None:
    with conn, conn.cursor() as cursor:
        for age in ages_days:
            cursor.execute(
                "INSERT INTO readings (site_id, turbine_id, timestamp, wind_speed, "
                "wind_direction, ambient_temperature, power_kw) "
                "VALUES ('default', 'T01', %s, 8, 180, 10, 900)",
                (NOW - timedelta(days=age),))


def test_prune_store_deletes_only_rows_past_the_limit(conn):
    _add_readings(conn, 400, 31, 29, 1)
    deleted = prune_store(conn, {"readings": 30}, NOW)
    assert deleted == {"readings": 2}
    assert count(conn, "SELECT count(*) FROM readings") == 2
    assert count(conn, "SELECT count(*) FROM readings WHERE timestamp < %s",
                 (NOW - timedelta(days=30),)) == 0


def test_prune_store_without_limits_keeps_everything(conn):
    _add_readings(conn, 4000, 1)
    deleted = prune_store(conn, dict.fromkeys(STORE_TABLES), NOW)
    assert deleted == {}
    assert count(conn, "SELECT count(*) FROM readings") == 2


def test_prune_store_runs_on_every_table(conn):
    deleted = prune_store(conn, dict.fromkeys(STORE_TABLES, 1.0), NOW)
    assert deleted == dict.fromkeys(STORE_TABLES, 0)
