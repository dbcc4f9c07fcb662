"""Schema migrations: idempotent, safe to start concurrently, keep old predictions."""

import subprocess
import sys
import threading

import pandas as pd
import psycopg2
import pytest

from windpower.store import StoreUnavailableError, connect, migrate
from windpower.store.migrations import available

from .conftest import count

# Each test talks to a real Postgres (conftest: a testcontainer).
pytestmark = pytest.mark.integration

OLD_PREDICTIONS = """
CREATE TABLE predictions (
    timestamp timestamptz NOT NULL, turbine_id text NOT NULL,
    model_version integer NOT NULL, predicted_power_kw double precision NOT NULL,
    mlflow_run_id text NOT NULL, created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (timestamp, turbine_id, model_version))"""


def test_migrate_twice_applies_each_migration_once(fresh_db_url):
    conn = connect()
    first, second = migrate(conn), migrate(conn)
    assert first == [name for _, name, _ in available()]
    assert second == []
    assert count(conn, "SELECT count(*) FROM schema_migrations") == len(first)
    assert count(conn, "SELECT count(*) FROM readings") == 0


def test_migrate_cli_is_idempotent(fresh_db_url):
    for _ in range(2):
        done = subprocess.run([sys.executable, "-m", "windpower.store", "migrate"],
                              check=False, capture_output=True, text=True,
                              timeout=120)
        assert done.returncode == 0, done.stderr
    assert "nothing to apply" in done.stderr


def test_migrate_concurrent_starters_all_succeed(fresh_db_url):
    errors: list[Exception] = []

    def start() -> None:
        try:
            migrate(connect())
        except Exception as exc:  # noqa: BLE001, collected for the assert
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert count(connect(), "SELECT count(*) FROM schema_migrations") == len(
        available())


def test_migrate_keeps_predictions_of_the_first_schema(fresh_db_url):
    conn = psycopg2.connect(fresh_db_url)
    created = pd.Timestamp("2026-03-01T00:00:00Z")
    with conn, conn.cursor() as cur:
        cur.execute(OLD_PREDICTIONS)
        cur.execute(
            "INSERT INTO predictions VALUES (%s, 'T01', 3, 812.5, 'run-a', %s),"
            " (%s, 'T02', 3, 90.0, 'run-a', %s)",
            (created + pd.Timedelta(hours=2), created,
             created + pd.Timedelta(minutes=30), created))
    migrate(conn)
    with conn.cursor() as cur:
        cur.execute("SELECT turbine_id, issued_at, horizon_minutes, model_version,"
                    " predicted_power_kw FROM predictions ORDER BY turbine_id")
        rows = cur.fetchall()
    assert [(r[0], pd.Timestamp(r[1]), r[2], r[3], r[4]) for r in rows] == [
        ("T01", created, 120, 3, 812.5), ("T02", created, 30, 3, 90.0)]
    assert count(conn, "SELECT count(*) FROM pg_tables WHERE tablename = "
                 "'predictions_v1'") == 0
    # Data stored before sites existed is kept as one site.
    assert count(conn, "SELECT count(*) FROM predictions WHERE site_id = "
                 "'default'") == 2
    assert count(conn, "SELECT count(*) FROM sites WHERE site_id = 'default'") == 1


def test_connect_without_url_says_which_variable(monkeypatch):
    monkeypatch.delenv("WINDPOWER_DB_URL", raising=False)
    with pytest.raises(StoreUnavailableError, match="set WINDPOWER_DB_URL"):
        connect()


def test_connect_unreachable_fails_after_retries(monkeypatch):
    monkeypatch.setenv("WINDPOWER_DB_URL", "postgresql://u:secret@127.0.0.1:9/db")
    with pytest.raises(StoreUnavailableError, match="after 2 attempts") as caught:
        connect(retries=2, backoff=0.01)
    assert "secret" not in str(caught.value)
