"""Monitoring against a real Postgres: the catalog's join query, the upsert."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from tests import monitoring_farm as farm
from tests.integration.store_schema import SITE, copy_frame, create_tables
from windpower import drift
from windpower.datasets.sql import PostgresQueryDataset, PostgresUpsertDataset
from windpower.pipelines.monitoring import nodes

pytestmark = pytest.mark.integration
CATALOG = Path(__file__).resolve().parents[2] / "conf" / "base" / "catalog.yml"
AS_OF = "2026-03-02T12:00Z"
KEY = ["site_id", "day", "turbine_id", "horizon_band", "model_version"]


def _query(name: str, **params) -> PostgresQueryDataset:
    """The catalog's query ``name`` with explicit parameters."""
    entry = yaml.safe_load(CATALOG.read_text())[name]
    load_args = dict(entry.get("load_args", {}), params={"site": SITE, **params})
    return PostgresQueryDataset(sql=entry["sql"], load_args=load_args)


@pytest.fixture
def db_url(backend, monkeypatch) -> str:
    url = backend.db_url("windpower", "windpower")
    create_tables(url)
    monkeypatch.setenv("WINDPOWER_DB_URL", url)
    return url


def _t(text: str) -> pd.Timestamp:
    return pd.Timestamp(f"2026-{text}", tz="UTC")


def _load_hand_made(db_url: str) -> None:
    """T1: two 0-6h forecasts, two 6-24h ones (one without P10/P90), and rows the
    query must leave out: after as_of, no reading, outside the window."""
    copy_frame(db_url, "turbines", farm.turbines_frame(["T1"]))
    reads = {"03-02 00:10": 1000.0, "03-02 00:20": 1200.0, "03-02 07:00": 500.0,
             "03-02 13:00": 800.0, "01-15 00:00": 700.0}
    copy_frame(db_url, "readings", pd.DataFrame({
        "turbine_id": "T1", "timestamp": [_t(k) for k in reads],
        "wind_speed": 9.0, "wind_direction": 180.0, "ambient_temperature": 10.0,
        "power_kw": list(reads.values())}))
    # issued, target, version, horizon, P50, P10, P90
    predictions = [
        ("03-02 00:00", "03-02 00:10", 1, 10, 1100.0, 900.0, 1300.0),
        ("03-02 00:00", "03-02 00:20", 1, 20, 1100.0, 900.0, 1300.0),
        ("03-01 18:00", "03-02 00:10", 1, 370, 1300.0, 1250.0, 1400.0),
        ("03-01 18:00", "03-02 07:00", 1, 780, 400.0, None, None),
        ("03-02 00:00", "03-02 00:10", 2, 10, 0.0, None, None),  # not the champion
        ("03-02 12:00", "03-02 13:00", 1, 60, 0.0, None, None),  # after as_of
        ("03-02 00:00", "03-02 00:30", 1, 30, 0.0, None, None),  # no reading
        ("01-14 23:00", "01-15 00:00", 1, 60, 0.0, None, None)]  # before the window
    frame = pd.DataFrame(predictions, columns=[
        "issued_at", "timestamp", "model_version", "horizon_minutes",
        "predicted_power_kw", "p10_power_kw", "p90_power_kw"])
    frame[["issued_at", "timestamp"]] = frame[["issued_at", "timestamp"]].map(_t)
    copy_frame(db_url, "predictions", frame.assign(turbine_id="T1",
                                                   mlflow_run_id="run-1"))
    weather = frame[["issued_at", "timestamp"]].drop_duplicates().assign(
        turbine_id="T1", wind_speed=9.0, wind_direction=180.0,
        ambient_temperature=10.0)
    # Another issue's forecast of the same time: the join must not pick it.
    other = weather[["timestamp"]].drop_duplicates().assign(
        issued_at=_t("03-01 12:00"), turbine_id="T1", wind_speed=20.0,
        wind_direction=180.0, ambient_temperature=10.0)
    copy_frame(db_url, "weather_forecasts", pd.concat([weather, other]))


def _quality(db_url: str) -> pd.DataFrame:
    rows = _query("monitoring_rows", as_of=AS_OF, window_days=30).load()
    turbines = _query("monitoring_turbines").load()
    reference = {"version": 1, "curve": farm.known_curve(["T1"])}
    return nodes.compute_forecast_quality(
        nodes.score_forecasts(rows, turbines, reference))


def test_monitoring_query_gives_mae_bias_and_bands_of_joined_rows(db_url):
    _load_hand_made(db_url)

    quality = _quality(db_url).set_index("horizon_band")

    assert list(quality.index) == ["0-6h", "6-24h"]
    assert quality["rows"].tolist() == [2, 2]
    assert quality["mae_kw"].tolist() == pytest.approx([100.0, 200.0])
    assert quality["bias_kw"].tolist() == pytest.approx([0.0, 100.0])
    assert quality["rmse_kw"].tolist() == pytest.approx([100.0, np.sqrt(50_000)])
    assert quality["mae_pct_rated"].tolist() == pytest.approx([5.0, 10.0])
    # P10-P90: both 0-6h actuals inside; of 6-24h, the one with a band is outside.
    assert quality["coverage_p10_p90"].tolist() == pytest.approx([1.0, 0.0])
    baseline = farm.curve_kw(farm.known_curve(["T1"]), np.array(["T1"]),
                             np.array([9.0]))[0]
    assert quality.loc["0-6h", "baseline_mae_kw"] == pytest.approx(
        np.mean(np.abs(baseline - np.array([1000.0, 1200.0]))))
    assert set(quality["model_version"]) == {1}
    assert quality["rows"].sum() == 4
    assert set(quality["day"].astype(str)) == {"2026-03-02"}


def test_forecast_quality_upsert_is_idempotent(db_url):
    _load_hand_made(db_url)
    quality = _quality(db_url)
    table = PostgresUpsertDataset("forecast_quality", KEY, site=SITE)

    table.save(quality)
    first = table.load()
    table.save(quality)
    stored = table.load()

    assert len(stored) == len(quality) == 2
    # Nothing changed, nothing written: not even the computation time.
    assert stored["computed_at"].tolist() == first["computed_at"].tolist()
    changed = quality.assign(mae_kw=quality["mae_kw"] + 1)
    table.save(changed)
    stored = table.load().sort_values("horizon_band")
    assert stored["mae_kw"].tolist() == pytest.approx([101.0, 201.0])
    assert (stored["computed_at"] > first["computed_at"].max()).all()
    assert stored["coverage_p10_p90"].tolist() == pytest.approx([1.0, 0.0])


def test_wind_histograms_count_each_reading_once_per_variable(db_url):
    _load_hand_made(db_url)

    histograms = _query("monitoring_wind_histograms", as_of=AS_OF,
                        window_days=30, lookback_days=7).load()

    counts = histograms.groupby("variable")["n"].sum()
    # Readings of the 37 days up to as_of: three (13:00 is after it, 01-15 before).
    assert counts.to_dict() == {"wind_direction": 3, "wind_speed": 3}
    speed = histograms.loc[histograms["variable"] == "wind_speed", "bin"]
    assert set(speed) == {9}


def test_wind_histograms_query_bins_as_the_reference_stored_by_training(db_url):
    # Live histograms (SQL) and the champion's reference (Python, at training) must
    # share their bins, or every turbine would look drifted.
    rng = np.random.default_rng(5)
    times = pd.date_range("2026-02-20", periods=2000, freq="10min", tz="UTC")
    readings = pd.DataFrame({
        "turbine_id": np.repeat(["T1", "T2"], 1000), "timestamp": times,
        "wind_speed": np.round(rng.uniform(0, 35, 2000), 2),
        "wind_direction": np.round(rng.uniform(0, 359.99, 2000), 2),
        "ambient_temperature": 10.0, "power_kw": 100.0})
    copy_frame(db_url, "turbines", farm.turbines_frame(["T1", "T2"]))
    copy_frame(db_url, "readings", readings)

    live = _query("monitoring_wind_histograms", as_of="2026-03-31T00:00Z",
                  window_days=60, lookback_days=7).load()

    stored = drift.wind_histograms(readings)
    for (variable, turbine), rows in live.groupby(["variable", "turbine_id"]):
        counts = rows.groupby("bin")["n"].sum()
        expected = stored[variable][turbine]
        assert [int(counts.get(b, 0)) for b in range(len(expected))] == expected
