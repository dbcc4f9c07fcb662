"""After test_stack (which trains the champion): the maintenance deployment on the
running stack's worker. With the default retention (keep everything) it completes,
runs ``mlflow gc``, and the champion, its run, readings and predictions stay."""

import os

import psycopg2
import pytest
from mlflow import MlflowClient
from prefect.deployments import run_deployment

from tests.e2e.stack import PREFECT_API_URL, RUN_TIMEOUT_S, require_stack

pytestmark = pytest.mark.e2e
MODEL = "windpower-demo-north"  # the first demo site's model


@pytest.fixture(scope="module", autouse=True)
def stack() -> None:
    require_stack(PREFECT_API_URL)


def _counts() -> tuple[int, int]:
    with psycopg2.connect(os.environ["WINDPOWER_DB_URL"]) as conn, \
            conn.cursor() as cursor:
        cursor.execute("select (select count(*) from readings), "
                       "(select count(*) from predictions)")
        return cursor.fetchone()


def test_maintenance_keeps_everything_by_default():
    client = MlflowClient()
    champion = client.get_model_version_by_alias(MODEL, "champion")
    readings, predictions = _counts()
    run = run_deployment("maintenance-flow/maintenance", timeout=RUN_TIMEOUT_S)
    assert run.state is not None and run.state.is_completed(), run.state
    after = client.get_model_version_by_alias(MODEL, "champion")
    assert after.version == champion.version
    assert client.get_run(after.run_id).info.lifecycle_stage == "active"
    now_readings, now_predictions = _counts()
    assert now_readings >= readings and now_predictions >= predictions
