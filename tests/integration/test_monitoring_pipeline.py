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
from windpower import farm_total

pytestmark = pytest.mark.integration
MODEL = "windpower-default"
START, DAYS = "2026-03-01T00:00Z", 14
AS_OF = "2026-03-15T00:00Z"
KEY = ["day", "turbine_id", "horizon_band", "model_version"]
BANDS = ["0-6h", "6-24h", "24-48h"]
# A farm band of +-10 % of the farm's rated power in every lead band.
FARM_BAND = {"edges_h": [0, 6, 24, 48],
             "offsets": dict.fromkeys(BANDS, [-0.1, 0.1])}


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


def _read(db_url: str, sql: str) -> pd.DataFrame:
    import psycopg2  # noqa: PLC0415

    with psycopg2.connect(db_url) as connection:
        return pd.read_sql(sql, connection)


def _quality(db_url: str) -> pd.DataFrame:
    return _read(db_url, "SELECT * FROM forecast_quality")


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


def _store_farm_total(db_url: str, gap_turbine: str) -> None:
    """The farm total of the stored turbine forecasts, as inference stores it; and
    six hours without ``gap_turbine``'s readings, when the farm is not measured."""
    turbines = _read(db_url, "SELECT turbine_id FROM turbines")["turbine_id"]
    predictions = _read(db_url, "SELECT * FROM predictions")
    rated = pd.Series(farm.RATED_KW, index=turbines)
    copy_frame(db_url, "predictions",
               farm_total.farm_rows(predictions, rated, FARM_BAND))
    import psycopg2  # noqa: PLC0415

    with psycopg2.connect(db_url) as connection, connection.cursor() as cursor:
        cursor.execute("DELETE FROM readings WHERE turbine_id = %s AND "
                       "\"timestamp\" >= '2026-03-10T00:00Z' AND "
                       "\"timestamp\" < '2026-03-10T06:00Z'", (gap_turbine,))


def _band(horizon_minutes: pd.Series) -> pd.Series:
    return pd.cut(horizon_minutes, [-1, 359, 1439, 2880], labels=BANDS).astype(str)


def _expected_mae(db_url: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per lead band, MAE and rows computed here from the stored rows: of the
    farm total against the summed readings at the times every turbine has one,
    and of the turbines against their own readings."""
    reads = _read(db_url, "SELECT turbine_id, \"timestamp\", power_kw FROM readings")
    predictions = _read(db_url, "SELECT * FROM predictions WHERE "
                        f"\"timestamp\" <= '{AS_OF}'")
    n_turbines = reads["turbine_id"].nunique()
    summed = reads.groupby("timestamp")["power_kw"].agg(["size", "sum"])
    complete = summed.loc[summed["size"] == n_turbines, "sum"].rename("actual")
    is_farm = predictions["turbine_id"] == "*"
    farm_rows = predictions.loc[is_farm].join(complete, on="timestamp", how="inner")
    turbine_rows = predictions.loc[~is_farm].merge(
        reads.rename(columns={"power_kw": "actual"}), on=["turbine_id", "timestamp"])

    def per_band(rows: pd.DataFrame) -> pd.DataFrame:
        error = (rows["predicted_power_kw"] - rows["actual"]).abs()
        return error.groupby(_band(rows["horizon_minutes"])).agg(
            mae_kw="mean", rows="size")

    return per_band(farm_rows), per_band(turbine_rows)


def _per_band(quality: pd.DataFrame) -> pd.DataFrame:
    """Stored quality rows summed over days: MAE weighted by rows, and rows."""
    weighted = quality.assign(total=quality["mae_kw"] * quality["rows"]).groupby(
        "horizon_band")[["total", "rows"]].sum()
    return pd.DataFrame({"mae_kw": weighted["total"] / weighted["rows"],
                         "rows": weighted["rows"]})


def test_monitoring_scores_the_farm_total_per_band_and_never_names_it(
        project, servers):
    champion = mlflow.pyfunc.load_model(f"models:/{MODEL}@champion")
    curve = champion.unwrap_python_model().bundle["lookup"]["curve"]
    db_url = servers.windpower_db_url
    lossy = _load_farm(db_url, curve)
    _store_farm_total(db_url, gap_turbine=sorted(curve["curves"])[0])
    params = {"as_of": AS_OF, "monitoring": {"degrade_on": ["concept"]}}

    summary = _run(project, "monitoring", params)["monitoring_summary"]
    quality = _quality(db_url)

    expected_farm, expected_turbines = _expected_mae(db_url)
    farm_rows = quality.loc[quality["turbine_id"] == "*"]
    assert sorted(farm_rows["horizon_band"].unique()) == sorted(BANDS)
    stored = _per_band(farm_rows).loc[BANDS]
    assert stored["rows"].tolist() == expected_farm.loc[BANDS, "rows"].tolist()
    assert stored["mae_kw"].tolist() == pytest.approx(
        expected_farm.loc[BANDS, "mae_kw"].tolist(), rel=1e-5)
    # NMAE in % of the farm's rated power (three turbines' sum).
    rated = farm.RATED_KW * len(curve["curves"])
    farm_nmae = summary["farm_quality"]["0-6h"]["mae_pct_rated"]
    assert farm_nmae == pytest.approx(
        100 * expected_farm.loc["0-6h", "mae_kw"] / rated, rel=1e-5)
    # The turbines' figures are the turbines' alone: the farm counts in none.
    for band in BANDS:
        assert summary["quality"][band]["mae_kw"] == pytest.approx(
            expected_turbines.loc[band, "mae_kw"], rel=1e-5)
        assert summary["farm_quality"][band]["mae_kw"] == pytest.approx(
            expected_farm.loc[band, "mae_kw"], rel=1e-5)
    assert summary["turbines"] == [lossy]
    assert "*" not in summary["reasons"] and "*" not in summary["evidence"]
    client = mlflow.MlflowClient(servers.mlflow_url)
    experiment = client.get_experiment_by_name("windpower-monitoring")
    run = client.search_runs([experiment.experiment_id],
                             order_by=["attributes.start_time DESC"])[0]
    assert run.data.metrics["farm.0-6h.mae_kw"] == pytest.approx(
        expected_farm.loc["0-6h", "mae_kw"], rel=1e-5)
    assert not [m for m in run.data.metrics if m.startswith("turbine.*")]
