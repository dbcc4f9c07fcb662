"""Links from a number to the Prefect and MLflow runs behind it, in the UIs the
browser reaches (published URLs from .env, never the compose service names)."""

import os


def prefect_run(flow_run_id: str | None) -> str | None:
    if not flow_run_id:
        return None
    base = os.environ.get("PREFECT_UI_URL", "http://localhost:4200")
    return f"{base.rstrip('/')}/runs/flow-run/{flow_run_id}"


def mlflow_run(run_id: str | None) -> str | None:
    """MLflow's run page by id alone (it finds the experiment itself)."""
    if not run_id:
        return None
    base = os.environ.get("MLFLOW_UI_URL", "http://localhost:5001")
    return f"{base.rstrip('/')}/#/runs/{run_id}"
