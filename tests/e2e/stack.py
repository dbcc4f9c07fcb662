"""Helpers of the tests against the running compose stack (reached by service name)."""

import os
import time
import urllib.request

import psycopg2
import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId
from prefect.deployments import run_deployment

PREFECT_API_URL = os.environ.get("PREFECT_API_URL", "http://prefect-server:4200/api")
MLFLOW_URL = os.environ.get("MLFLOW_TRACKING_URI", "http://mlflow:5001")
RUN_TIMEOUT_S = 600
# The flows served each in its own container, as deployment <flow>/<flow>.
FLOWS = ("ingest-flow", "training-flow", "inference-flow", "monitoring-flow")


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status == 200
    except OSError:
        return False


def require_stack(api_url: str) -> None:
    """Skip unless the stack answers; fail instead when CI requires the stack
    (WINDPOWER_E2E_REQUIRED=1), so a stack that did not come up never passes."""
    if _answers(f"{api_url}/health"):
        return
    message = (
        f"compose stack not reachable at {api_url}: run "
        "`docker compose up -d --wait`, then "
        "`docker compose run --rm trainer pytest -m e2e`"
    )
    if os.environ.get("WINDPOWER_E2E_REQUIRED", "").lower() in {"1", "true"}:
        pytest.fail(f"{message} (WINDPOWER_E2E_REQUIRED is set)", pytrace=False)
    pytest.skip(message)


def run(deployment: str, **parameters):
    """Run a deployment to its end; it must complete."""
    flow_run = run_deployment(
        deployment, parameters=parameters or None, timeout=RUN_TIMEOUT_S
    )
    assert flow_run.state is not None
    assert flow_run.state.is_completed(), f"{deployment}: {flow_run.state}"
    return flow_run


def artifacts(flow_run_id) -> list:
    """The artifacts a flow run published."""
    with get_client(sync_client=True) as client:
        return client.read_artifacts(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id]))
        )


def query(sql: str, args: tuple = ()) -> list[tuple]:
    """Rows of a query on the windpower database."""
    with psycopg2.connect(os.environ["WINDPOWER_DB_URL"]) as connection:
        with connection.cursor() as cursor:
            cursor.execute(sql, args)
            return cursor.fetchall()


def wait_for_first_forecasts(sites: int = 2) -> None:
    """A stack just started is still ingesting its year and training: wait until
    every demo site has a stored forecast (the last service to finish), so each
    site has its champion."""
    deadline = time.monotonic() + RUN_TIMEOUT_S
    while query("SELECT count(DISTINCT site_id) FROM predictions")[0][0] < sites:
        if time.monotonic() > deadline:
            pytest.fail(f"the stack stored no forecast in {RUN_TIMEOUT_S} s")
        time.sleep(2)
