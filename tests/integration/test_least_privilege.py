"""Least privilege as the stack sets it up: Postgres initialised by the stack's own
init script gives each role its own database and nothing else, and MLflow serves
only the host names docker-compose.yml allows."""

import urllib.request

import psycopg2
import pytest

from tests.integration.conftest import ROLES
from tests.integration.http_status import status_of

pytestmark = pytest.mark.integration


def _connects(backend, role: str, database: str) -> bool:
    try:
        psycopg2.connect(backend.db_url(role, database), connect_timeout=10).close()
    except psycopg2.OperationalError as error:
        assert "permission denied for database" in str(error), error
        return False
    return True


@pytest.mark.parametrize("role", ROLES)
def test_role_reaches_only_its_own_database(backend, role):
    reachable = {database for database in ROLES if _connects(backend, role, database)}
    assert reachable == {role}


def _status_with_host(url: str, host: str) -> int:
    return status_of(urllib.request.Request(url, headers={"Host": host}))


def test_mlflow_refuses_unknown_host_names(servers):
    search = f"{servers.mlflow_url}/api/2.0/mlflow/experiments/search?max_results=1"
    assert _status_with_host(search, "attacker.example") == 403
    allowed = servers.mlflow_url.removeprefix("http://")
    assert _status_with_host(search, allowed) == 200
