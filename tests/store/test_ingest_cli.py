"""``ingest_flow.py run`` on a refused file: a short output and an exit code of its
own, against a real Postgres and the session's Prefect server (as in the stack,
where the server is configured)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from prefect.settings import PREFECT_API_URL

from windpower.orchestration.outcome import EXIT_REFUSED

PROJECT = Path(__file__).resolve().parents[2]


@pytest.mark.usefixtures("prefect_server")
def test_ingest_run_refusing_a_file_is_short_and_exits_3(migrated_url, tmp_path):
    bad = tmp_path / "scada.csv"
    bad.write_text("timestamp,turbine_id,power_kw\n2026-01-01T00:00:00Z,T01,5\n")
    env = {k: v for k, v in os.environ.items()
           if k not in {"PREFECT_API_URL", "MLFLOW_TRACKING_URI", "LOG_LEVEL"}}
    env |= {"PREFECT_API_URL": PREFECT_API_URL.value(),
            "WINDPOWER_DB_URL": migrated_url, "SCADA_PATH": str(bad),
            "TURBINES_PATH": "", "DEMO_FARM_ENABLED": "false",
            "MLFLOW_FALLBACK_DIR": str(tmp_path / "mlflow")}
    result = subprocess.run(
        [sys.executable, "services/prefect/ingest_flow.py", "run"], cwd=PROJECT,
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        timeout=600, check=False)
    lines = result.stdout.strip().splitlines()
    assert result.returncode == EXIT_REFUSED, result.stdout
    assert len(lines) <= 80, result.stdout
    assert lines[-1] == (f"input refused: file '{bad}', column 'wind_speed': "
                         "required column is missing (header: timestamp, "
                         "turbine_id, power_kw) (exit 3)")
    assert "Traceback" not in result.stdout
