"""A real Postgres (postgres:17, as in compose) for the store tests.

One container per session, started in the background (tests/background.py), with
the ``windpower`` role and database as docker/postgres/init-databases.sh makes
them; each test gets the migrated schema with every table emptied, or a fresh
database of its own (``fresh_db_url``).
"""

import uuid
from collections.abc import Iterator

import psycopg2
import pytest
from testcontainers.core.container import DockerContainer
from testcontainers.core.wait_strategies import ExecWaitStrategy

from tests.background import background_fixture, stop_at_session_end
from windpower.store import connect, migrate

TABLES = ("turbines", "readings", "weather_forecasts", "rejected_rows",
          "ingested_files", "predictions", "forecast_quality", "sites")


class Server:
    """The test server: URLs for the admin and for role ``windpower``."""

    def __init__(self, container: DockerContainer, password: str):
        host = container.get_container_host_ip()
        self.base = f"{host}:{container.get_exposed_port(5432)}"
        self.password = password

    def url(self, database: str, role: str = "windpower") -> str:
        return f"postgresql://{role}:{self.password}@{self.base}/{database}"

    def create_database(self) -> str:
        """A new empty database owned by ``windpower``; returns its URL."""
        name = f"db_{uuid.uuid4().hex[:12]}"
        admin = psycopg2.connect(self.url("postgres", "postgres"))
        admin.autocommit = True
        with admin.cursor() as cur:
            cur.execute(f"CREATE DATABASE {name} OWNER windpower")
        admin.close()
        return self.url(name)


@background_fixture()
def pg_server() -> Server:
    password = uuid.uuid4().hex
    container = (
        DockerContainer("postgres:17")
        .with_env("POSTGRES_PASSWORD", password)
        .with_exposed_ports(5432)
        .waiting_for(ExecWaitStrategy(["pg_isready", "-h", "127.0.0.1", "-U",
                                       "postgres"]).with_startup_timeout(120))
    )
    container.start()
    stop_at_session_end(container.stop)
    server = Server(container, password)
    admin = psycopg2.connect(server.url("postgres", "postgres"))
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute("CREATE ROLE windpower LOGIN PASSWORD %s", (password,))
        cur.execute("CREATE DATABASE windpower OWNER windpower")
    admin.close()
    return server


@pytest.fixture(scope="session")
def migrated_url(pg_server: Server) -> str:
    url = pg_server.url("windpower")
    conn = psycopg2.connect(url)
    migrate(conn)
    conn.close()
    return url


@pytest.fixture
def fresh_db_url(pg_server: Server, monkeypatch) -> str:
    """An empty database of the test's own (not migrated); also $WINDPOWER_DB_URL."""
    url = pg_server.create_database()
    monkeypatch.setenv("WINDPOWER_DB_URL", url)
    return url


@pytest.fixture
def conn(migrated_url: str, monkeypatch) -> Iterator:
    """A store connection to the migrated database, every table empty."""
    monkeypatch.setenv("WINDPOWER_DB_URL", migrated_url)
    connection = connect()
    with connection, connection.cursor() as cur:
        cur.execute(f"TRUNCATE {', '.join(TABLES)}")
    yield connection
    connection.close()


def count(conn, query: str, params: tuple = ()) -> int:
    """The single number a query returns."""
    with conn.cursor() as cur:
        cur.execute(query, params)
        return cur.fetchone()[0]
