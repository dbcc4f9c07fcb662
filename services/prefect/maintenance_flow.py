"""Prefect flow ``maintenance-flow``: retention of what the platform accumulates.

  python services/prefect/maintenance_flow.py   # once, now

Deleted, each only when its limit is set in .env (``*_RETENTION_DAYS``; unset:
keep everything): rows of readings, weather_forecasts, predictions and
forecast_quality older than their limit; MLflow model versions without an alias
older than theirs, then finished runs no kept version comes from (and their logged
models), which ``mlflow gc`` then removes with their artifacts for good. A version
holding ``champion`` or ``challenger`` (any alias) and its run are never deleted.

Deployment ``maintenance-flow/maintenance`` (prefect.yaml) runs it daily on the
worker. Prefect's own records are pruned by the server (docs/operations.md).
"""

# Unlike the served flows this one takes no parameters, so Prefect never needs
# to resolve its annotations: string annotations are safe here.
from __future__ import annotations

import os
import subprocess
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from prefect import flow, get_run_logger, task

from windpower.orchestration.flows.specs import MAINTENANCE

# MLflow and the store are imported in the run: set-up's `prefect deploy` loads
# this module for its parameters alone, and would wait for MLflow's import.
if TYPE_CHECKING:
    from windpower.orchestration.flows.retention import Retention


@task(retries=2, retry_delay_seconds=[10, 60])
def prune_windpower_tables(retention: Retention, now: datetime) -> dict[str, int]:
    """Delete the windpower rows past their tables' limits."""
    from windpower.orchestration.flows.retention import prune_store  # noqa: PLC0415
    from windpower.store import connect  # noqa: PLC0415

    conn = connect()
    try:
        return prune_store(conn, retention.store, now)
    finally:
        conn.close()


@task(retries=2, retry_delay_seconds=[10, 60])
def prune_mlflow(retention: Retention, now: datetime) -> dict[str, list[str]]:
    """Delete old unaliased model versions, then old runs no kept version needs."""
    from mlflow import MlflowClient  # noqa: PLC0415

    from windpower.orchestration.flows.retention import (  # noqa: PLC0415
        prune_model_versions,
        prune_runs,
    )

    client = MlflowClient()
    versions, kept_runs = prune_model_versions(client, retention.model_versions, now)
    runs = prune_runs(client, retention.mlflow_runs, now, kept_runs)
    return {"model_versions": versions, "runs": runs}


@task
def collect_mlflow_garbage() -> bool:
    """``mlflow gc``: remove deleted runs and logged models and their artifacts."""
    backend = os.environ.get("MLFLOW_BACKEND_STORE_URI")
    if not backend:
        get_run_logger().warning(
            "MLFLOW_BACKEND_STORE_URI unset: deleted runs stay until `mlflow gc`")
        return False
    subprocess.run(["mlflow", "gc", "--backend-store-uri", backend,
                    "--tracking-uri", os.environ["MLFLOW_TRACKING_URI"]], check=True)
    return True


@flow(name=MAINTENANCE.name, description=MAINTENANCE.description,
      timeout_seconds=MAINTENANCE.timeout_seconds)
def maintenance_flow() -> dict[str, Any]:
    """Apply the retention limits of the environment once.

    Returns:
        Rows deleted per table, model versions and runs deleted, and whether
        ``mlflow gc`` ran.
    """
    from windpower.orchestration.flows.retention import Retention  # noqa: PLC0415

    retention, now = Retention.from_env(), datetime.now(UTC)
    summary: dict[str, Any] = {"rows": prune_windpower_tables(retention, now)}
    summary |= prune_mlflow(retention, now)
    summary["gc"] = collect_mlflow_garbage()
    get_run_logger().info("maintenance: %s", summary)
    return summary


if __name__ == "__main__":
    maintenance_flow()
