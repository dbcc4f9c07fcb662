"""Real servers for integration tests, started with testcontainers.

One Postgres (`postgres:17`) initialised by the stack's own init script (three
databases, each reachable by its role only), and an MLflow server and a Prefect
server from the project image with the stack's settings (read from
docker-compose.yml), on one private Docker network, as in the stack. The servers
are session-scoped and start in the background (tests/background.py: they take
~20 s); each test resets the data it relies on.

Inside the trainer container the tests reach the containers' published ports
through the Docker host's gateway (TESTCONTAINERS_CONNECTION_MODE=gateway_ip, set by
compose); from a host virtualenv, through localhost.
"""

import os
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import psycopg2
import pytest
from testcontainers.core.container import DockerContainer
from testcontainers.core.network import Network
from testcontainers.core.wait_strategies import ExecWaitStrategy, HttpWaitStrategy

from tests.background import background_fixture, stop_at_session_end
from tests.integration.compose import POSTGRES_INIT_SCRIPT, service_env
from tests.internals import stop_prefect_services

PROJECT_IMAGE = os.environ.get("WINDPOWER_IMAGE", "windpower:local")
SERVER_STARTUP_TIMEOUT_S = 180
ROLES = ("prefect", "mlflow", "windpower")  # each owns the database of its name
# Test-only: a second pair of databases for the servers with auth turned on.
AUTH_DATABASES = {"prefect_auth": "prefect", "mlflow_auth": "mlflow"}


@dataclass(frozen=True)
class Servers:
    """Where the test servers answer, as seen from the test process."""

    windpower_db_url: str
    mlflow_url: str
    prefect_api_url: str


def _url(container: DockerContainer, port: int, scheme: str = "http") -> str:
    host = container.get_container_host_ip()
    return f"{scheme}://{host}:{container.get_exposed_port(port)}"


def _start_postgres(network: Network, password: str) -> DockerContainer:
    container = (
        DockerContainer("postgres:17")
        .with_env("POSTGRES_USER", "postgres")  # as compose; the init script needs it
        .with_env("POSTGRES_PASSWORD", password)
        .with_envs(**{f"{role.upper()}_DB_PASSWORD": password for role in ROLES})
        # Copied, not mounted: from inside the trainer the host path is unknown.
        .with_copy_into_container(
            POSTGRES_INIT_SCRIPT.read_bytes(),
            f"/docker-entrypoint-initdb.d/{POSTGRES_INIT_SCRIPT.name}", 0o755,
        )
        .with_network(network)
        .with_network_aliases("postgres")
        .with_exposed_ports(5432)
        .waiting_for(
            ExecWaitStrategy(["pg_isready", "-h", "127.0.0.1", "-U", "postgres"])
            .with_startup_timeout(SERVER_STARTUP_TIMEOUT_S)
        )
    )
    container.start()
    admin_url = _url(container, 5432, "postgresql").replace(
        "postgresql://", f"postgresql://postgres:{password}@"
    )
    connection = psycopg2.connect(f"{admin_url}/postgres")
    connection.autocommit = True
    with connection.cursor() as cursor:
        for database, owner in AUTH_DATABASES.items():
            cursor.execute(f"CREATE DATABASE {database} OWNER {owner}")
            cursor.execute(f"REVOKE ALL ON DATABASE {database} FROM PUBLIC")
    connection.close()
    return container


def _start_project_server(
    network: Network, command: list[str], port: int, health_path: str, **env: str
) -> DockerContainer:
    container = (
        DockerContainer(PROJECT_IMAGE)
        .with_command(command)
        .with_envs(**env)
        .with_network(network)
        .with_exposed_ports(port)
        .waiting_for(
            HttpWaitStrategy(port, health_path).with_startup_timeout(
                SERVER_STARTUP_TIMEOUT_S
            )
        )
    )
    return container.start()


@pytest.fixture(scope="module", autouse=True)
def fresh_prefect_services() -> Iterator[None]:
    """Stop Prefect's background services after each module.

    They (events, concurrency leases) are process-wide and keep the client they
    started with; each module here talks to its own Prefect server, and later tests
    to a temporary one.
    """
    yield
    stop_prefect_services(timeout=10)


@dataclass(frozen=True)
class Backend:
    """The shared Docker network and Postgres the test servers run on."""

    network: Network
    postgres: DockerContainer
    password: str

    def db_url(self, role: str, database: str) -> str:
        url = _url(self.postgres, 5432, "postgresql")
        return url.replace("postgresql://", f"postgresql://{role}:{self.password}@") + (
            f"/{database}"
        )


@background_fixture()
def backend() -> Backend:
    password = uuid.uuid4().hex
    network = Network().create()
    stop_at_session_end(network.remove)
    postgres = _start_postgres(network, password)
    stop_at_session_end(postgres.stop)
    return Backend(network, postgres, password)


def start_mlflow(backend: Backend, database: str, **env: str) -> DockerContainer:
    """MLflow as in docker-compose.yml, on ``database`` (owned by role mlflow)."""
    command = (
        "exec python -m windpower.orchestration.mlflow_server --host 0.0.0.0 "
        "--port 5001 --backend-store-uri "
        f"postgresql+psycopg2://mlflow:{backend.password}@postgres:5432/{database} "
        "--artifacts-destination /var/lib/mlflow/artifacts --serve-artifacts "
        '--workers 1 --allowed-hosts "$MLFLOW_ALLOWED_HOSTS" ${MLFLOW_SERVER_APP:-}'
    )
    # The stack's allowed hosts, plus the one extra .env would add: the address
    # this process reaches the server by (the Docker host, any published port).
    settings = service_env(
        "mlflow", ["MLFLOW_ALLOWED_HOSTS", "MLFLOW_SERVER_ENABLE_JOB_EXECUTION"],
        MLFLOW_EXTRA_ALLOWED_HOSTS=f"{backend.postgres.get_container_host_ip()}:*",
    )
    return _start_project_server(
        backend.network, ["sh", "-c", command], 5001, "/health", **settings, **env
    )


def start_prefect(backend: Backend, database: str, **env: str) -> DockerContainer:
    """The Prefect server as in docker-compose.yml, on ``database``."""
    settings = service_env(
        "prefect-server", ["PREFECT_SERVER_CONCURRENCY_LEASE_STORAGE"]
    )
    return _start_project_server(
        backend.network,
        ["prefect", "server", "start", "--host", "0.0.0.0", "--port", "4200"],
        4200,
        "/api/health",
        PREFECT_API_DATABASE_CONNECTION_URL=(
            f"postgresql+asyncpg://prefect:{backend.password}@postgres:5432/{database}"
        ),
        **settings,
        **env,
    )


def start_together(*starts: Callable[[], DockerContainer]) -> list[DockerContainer]:
    """Start servers at the same time: each spends most of its ~30 s waiting."""
    with ThreadPoolExecutor(len(starts)) as pool:
        return list(pool.map(lambda start: start(), starts))


@background_fixture("backend")
def servers(backend: Backend) -> Servers:
    """Postgres, MLflow and Prefect servers, as in the compose stack."""
    mlflow, prefect = start_together(lambda: start_mlflow(backend, "mlflow"),
                                     lambda: start_prefect(backend, "prefect"))
    stop_at_session_end(mlflow.stop)
    stop_at_session_end(prefect.stop)
    return Servers(
        windpower_db_url=backend.db_url("windpower", "windpower"),
        mlflow_url=_url(mlflow, 5001),
        prefect_api_url=f"{_url(prefect, 4200)}/api",
    )
