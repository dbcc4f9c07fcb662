"""Real servers for integration tests, started with testcontainers.

One Postgres (`postgres:17`) with the three databases the compose stack has, and an
MLflow server and a Prefect server from the project image, on one private Docker
network, as in docker-compose.yml. The servers are session-scoped (they take ~30 s
to start); each test resets the data it relies on.

Inside the trainer container the tests reach the containers' published ports
through the Docker host's gateway (TESTCONTAINERS_CONNECTION_MODE=gateway_ip, set by
compose); from a host virtualenv, through localhost.
"""

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import psycopg2
import pytest
from testcontainers.core.container import DockerContainer
from testcontainers.core.network import Network
from testcontainers.core.wait_strategies import ExecWaitStrategy, HttpWaitStrategy

PROJECT_IMAGE = os.environ.get("WINDPOWER_IMAGE", "windpower:local")
SERVER_STARTUP_TIMEOUT_S = 180
DATABASES = ("prefect", "mlflow", "windpower")


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
        .with_env("POSTGRES_PASSWORD", password)
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
        for name in DATABASES:
            cursor.execute(f"CREATE ROLE {name} LOGIN PASSWORD %s", (password,))
            cursor.execute(f"CREATE DATABASE {name} OWNER {name}")
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


@pytest.fixture(scope="session")
def servers() -> Iterator[Servers]:
    """Postgres, MLflow and Prefect servers, as in the compose stack."""
    password = uuid.uuid4().hex
    with Network() as network:
        postgres = _start_postgres(network, password)
        mlflow = _start_project_server(
            network,
            ["mlflow", "server", "--host", "0.0.0.0", "--port", "5001",
             "--backend-store-uri",
             f"postgresql+psycopg2://mlflow:{password}@postgres:5432/mlflow",
             "--artifacts-destination", "/var/lib/mlflow/artifacts",
             "--serve-artifacts", "--workers", "1",
             # The test process reaches it by a gateway IP and a random port.
             "--allowed-hosts", "*"],
            5001,
            "/health",
            MLFLOW_SERVER_ENABLE_JOB_EXECUTION="false",
        )
        prefect = _start_project_server(
            network,
            ["prefect", "server", "start", "--host", "0.0.0.0", "--port", "4200"],
            4200,
            "/api/health",
            PREFECT_API_DATABASE_CONNECTION_URL=(
                f"postgresql+asyncpg://prefect:{password}@postgres:5432/prefect"
            ),
        )
        db_url = _url(postgres, 5432, "postgresql").replace(
            "postgresql://", f"postgresql://windpower:{password}@"
        )
        try:
            yield Servers(
                windpower_db_url=f"{db_url}/windpower",
                mlflow_url=_url(mlflow, 5001),
                prefect_api_url=f"{_url(prefect, 4200)}/api",
            )
        finally:
            for container in (prefect, mlflow, postgres):
                container.stop()
