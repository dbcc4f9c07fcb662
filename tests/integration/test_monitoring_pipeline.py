"""The monitoring pipeline end to end: a champion trained and registered in MLflow,
two weeks of a farm in Postgres, one turbine losing 15 % above 8 m/s."""

from pathlib import Path

import mlflow
import pandas as pd
import pytest
from kedro.framework.session import KedroSession
from mlflow.exceptions import MlflowException

from tests import monitoring_farm as farm
from tests.integration.store_schema import copy_frame, create_tables
from tests.internals import track_to
from tests.project_copy import make_project

pytestmark = pytest.mark.integration
MODEL = "windpower-default"
START, DAYS = "2026-03-01T00:00Z", 14
AS_OF = "2026-03-15T00:00Z"
KEY = ["day", "turbine_id", "horizon_band", "model_version"]


@pytest.fixture
def project(servers, tmp_path, monkeypatch) -> Path:
    """The project with a champion (version 1) trained on small data."""
    client = mlflow.MlflowClient(servers.mlflow_url)
    try:
        client.delete_registered_model(MODEL)
    except MlflowException:
        pass  # nothing registered yet
    track_to(servers.mlflow_url, monkeypatch)
    monkeypatch.setenv("WINDPOWER_DB_URL", servers.windpower_db_url)
    root = make_project(tmp_path, monkeypatch, predictions_in_memory=False)
    _run(root, "__default__")
    return root


def _run(root: Path, pipeline: str, params: dict | None = None) -> dict:
    with KedroSession.create(project_path=root, runtime_params=params) as session:
        datasets = session.run(pipeline_names=[pipeline])
    return {name: datasets[name].load() for name in datasets
            if name == "monitoring_summary"}


def _load_farm(db_url: str, curve: dict) -> str:
    """Two weeks of the champion's own turbines; the second loses 15 % >= 8 m/s."""
    turbines = sorted(curve["curves"])
    create_tables(db_url)
    copy_frame(db_url, "turbines", farm.turbines_frame(turbines))
    reads = farm.readings(turbines, START, DAYS, seed=5, losses={turbines[1]: 0.15},
                          curve=curve)
    weather, predictions = farm.forecasts(reads, 6, 288, seed=5, curve=curve)
    copy_frame(db_url, "readings", reads)
    copy_frame(db_url, "weather_forecasts", weather)
    copy_frame(db_url, "predictions", predictions)
    return turbines[1]


def _quality(db_url: str) -> pd.DataFrame:
    import psycopg2  # noqa: PLC0415

    with psycopg2.connect(db_url) as connection:
        return pd.read_sql("SELECT * FROM forecast_quality", connection)


def test_monitoring_pipeline_writes_quality_names_turbine_and_logs_run(
        project, servers):
    champion = mlflow.pyfunc.load_model(f"models:/{MODEL}@champion")
    curve = champion.unwrap_python_model().bundle["lookup"]["curve"]
    lossy = _load_farm(servers.windpower_db_url, curve)
    # The synthetic forecasts' weather error is not the champion's: judge the
    # concept detector alone here (the unit tests cover performance).
    # Nested, not "monitoring.degrade_on": Kedro merges programmatic runtime
    # parameters as given, and only the CLI splits dotted keys.
    params = {"as_of": AS_OF, "monitoring": {"degrade_on": ["concept"]}}

    report = _run(project, "monitoring", params)["monitoring_summary"]
    first = _quality(servers.windpower_db_url)
    _run(project, "monitoring", params)
    again = _quality(servers.windpower_db_url)

    assert report["champion_version"] == 1
    assert report["quality"]["0-6h"]["rows"] > 0
    assert report["turbines"] == [lossy] and report["degraded"] is True
    assert "concept" in report["reasons"][lossy]
    assert len(first) == len(again) > 0
    assert set(first["horizon_band"]) == {"0-6h", "6-24h", "24-48h"}
    assert (first["coverage_p10_p90"].between(0, 1)).all()
    # The same data again: the same rows, none rewritten.
    pd.testing.assert_frame_equal(first.sort_values(KEY).reset_index(drop=True),
                                  again.sort_values(KEY).reset_index(drop=True))
    client = mlflow.MlflowClient(servers.mlflow_url)
    experiment = client.get_experiment_by_name("windpower-monitoring")
    runs = client.search_runs([experiment.experiment_id],
                              order_by=["attributes.start_time DESC"])
    assert len(runs) == 2
    # Each quality row names the monitoring run that computed it (the first:
    # the second run changed nothing), the link the forecast page follows.
    assert set(first["mlflow_run_id"]) == {runs[1].info.run_id}
    run = runs[0]
    assert run.data.tags["windpower.champion_version"] == "1"
    assert run.data.metrics["band.0-6h.mae_kw"] > 0
    assert run.data.metrics["degraded"] == 1.0
    artifacts = {a.path for a in client.list_artifacts(run.info.run_id, "plots")}
    assert artifacts == {"plots/forecast_vs_actual.png", "plots/error_by_horizon.png"}
