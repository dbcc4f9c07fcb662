"""``ingest_flow.py run`` on a refused file: a short output and an exit code of its
own, against a real Postgres and the session's Prefect server (as in the stack,
where the server is configured)."""

import subprocess
import sys
from pathlib import Path

import psycopg2
import pytest

from tests.background import (
    background_fixture,
    session_environment,
    temporary_directory,
)
from windpower.orchestration.serving.outcome import EXIT_REFUSED
from windpower.store import migrate

# Each test talks to a real Postgres (conftest: a testcontainer).
pytestmark = pytest.mark.integration

PROJECT = Path(__file__).resolve().parents[2]


@background_fixture("pg_server", "prefect_server_process")
def refused_ingest(pg_server, prefect_server_process
                   ) -> tuple[Path, subprocess.CompletedProcess]:
    """The CLI run on a file without a wind_speed column, in the background (a
    fresh process takes ~5 s), on a migrated database of its own."""
    url = pg_server.create_database()
    connection = psycopg2.connect(url)
    try:
        migrate(connection)
    finally:
        connection.close()
    work = temporary_directory("refused-ingest-")
    bad = work / "scada.csv"
    bad.write_text("timestamp,turbine_id,power_kw\n2026-01-01T00:00:00Z,T01,5\n")
    env = {k: v for k, v in session_environment().items()
           if k not in {"PREFECT_API_URL", "MLFLOW_TRACKING_URI", "LOG_LEVEL"}}
    env |= {"PREFECT_API_URL": prefect_server_process.api_url,
            "WINDPOWER_DB_URL": url, "SCADA_PATH": str(bad),
            "TURBINES_PATH": "", "DEMO_FARM_ENABLED": "false",
            "MLFLOW_FALLBACK_DIR": str(work / "mlflow")}
    return bad, subprocess.run(
        [sys.executable, "services/prefect/ingest_flow.py", "run"], cwd=PROJECT,
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        timeout=600, check=False)


def test_ingest_run_refusing_a_file_is_short_and_exits_3(refused_ingest):
    bad, result = refused_ingest
    lines = result.stdout.strip().splitlines()
    assert result.returncode == EXIT_REFUSED, result.stdout
    assert len(lines) <= 80, result.stdout
    assert lines[-1] == (f"input refused: file '{bad}', column 'wind_speed': "
                         "required column is missing (header: timestamp, "
                         "turbine_id, power_kw) (exit 3)")
    assert "Traceback" not in result.stdout
