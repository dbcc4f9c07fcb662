"""A real Postgres initialised as compose does it (docker/postgres/
init-databases.sh, with the forecast page's role), migrated as role windpower,
seeded once with the fixture farm (tests/forecast_ui/fixture_farm.py); the app
reads it as windpower_reader, as in the stack."""

import uuid
from dataclasses import dataclass

import pandas as pd
import psycopg2
import pytest
from fastapi.testclient import TestClient
from testcontainers.core.container import DockerContainer
from testcontainers.core.wait_strategies import ExecWaitStrategy

from tests.background import background_fixture, stop_at_session_end
from tests.forecast_ui import fixture_farm
from tests.integration.compose import POSTGRES_INIT_SCRIPT
from windpower.forecast_ui.app import create_app
from windpower.store import migrate


@dataclass(frozen=True)
class Seeded:
    """The seeded database: URLs per role, and the time the data ends."""

    base: str
    password: str
    now: pd.Timestamp

    def url(self, role: str) -> str:
        return f"postgresql://{role}:{self.password}@{self.base}/windpower"


def _start(password: str) -> DockerContainer:
    roles = ("prefect", "mlflow", "windpower", "forecast_ui")
    container = (
        DockerContainer("postgres:17")
        .with_env("POSTGRES_USER", "postgres")
        .with_env("POSTGRES_PASSWORD", password)
        .with_envs(**{f"{role.upper()}_DB_PASSWORD": password for role in roles})
        .with_copy_into_container(
            POSTGRES_INIT_SCRIPT.read_bytes(),
            f"/docker-entrypoint-initdb.d/{POSTGRES_INIT_SCRIPT.name}", 0o755)
        .with_exposed_ports(5432)
        .waiting_for(ExecWaitStrategy(["pg_isready", "-h", "127.0.0.1", "-U",
                                       "postgres"]).with_startup_timeout(120)))
    return container.start()


@background_fixture()
def forecast_db() -> Seeded:
    password = uuid.uuid4().hex
    container = _start(password)
    stop_at_session_end(container.stop)
    seeded = Seeded(f"{container.get_container_host_ip()}:"
                    f"{container.get_exposed_port(5432)}", password,
                    pd.Timestamp.now(tz="UTC").floor("10min"))
    conn = psycopg2.connect(seeded.url("windpower"),
                            options="-c TimeZone=UTC")
    migrate(conn)
    fixture_farm.seed(conn, seeded.now)
    conn.close()
    return seeded


@pytest.fixture
def reader_env(forecast_db, monkeypatch) -> Seeded:
    """The app's environment as compose sets it: the reader role, auth off."""
    monkeypatch.setenv("FORECAST_UI_DB_URL", forecast_db.url("windpower_reader"))
    monkeypatch.delenv("FORECAST_UI_USERNAME", raising=False)
    monkeypatch.delenv("FORECAST_UI_PASSWORD", raising=False)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.setenv("PREFECT_UI_URL", "http://localhost:4200")
    monkeypatch.setenv("MLFLOW_UI_URL", "http://localhost:5001")
    return forecast_db


@pytest.fixture
def client(reader_env) -> TestClient:
    return TestClient(create_app())


@pytest.fixture
def owner(forecast_db):
    """A connection as the tables' owner, to read what the page should show."""
    conn = psycopg2.connect(forecast_db.url("windpower"), options="-c TimeZone=UTC")
    yield conn
    conn.close()


def fetch(conn, query: str, params: tuple = ()) -> list[tuple]:
    with conn.cursor() as cur:
        cur.execute(query, params)
        return cur.fetchall()
