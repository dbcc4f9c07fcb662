"""Bulk upsert: a second load writes nothing, a changed value is updated."""

import numpy as np
import pandas as pd
import pytest

from windpower.store.load import upsert_frame
from windpower.store.readers import read_readings

from .conftest import count

# Each test talks to a real Postgres (conftest: a testcontainer).
pytestmark = pytest.mark.integration

KEY = ["site_id", "turbine_id", "timestamp"]


def readings(n: int = 1000, power: float = 500.0) -> pd.DataFrame:
    times = pd.date_range("2026-03-01", periods=n, freq="10min", tz="UTC")
    return pd.DataFrame({
        "site_id": "default", "turbine_id": "T01", "timestamp": times,
        "wind_speed": 8.0,
        "wind_direction": 180.0, "ambient_temperature": 12.5, "power_kw": power,
        "pitch_angle": [None if i % 2 else 1.5 for i in range(n)]})


def test_upsert_frame_second_load_writes_nothing(conn):
    assert upsert_frame(conn, "readings", readings(), KEY) == 1000
    conn.commit()
    assert upsert_frame(conn, "readings", readings(), KEY) == 0
    conn.commit()
    assert count(conn, "SELECT count(*) FROM readings") == 1000
    assert count(conn, "SELECT count(*) FROM readings WHERE pitch_angle IS NULL") == 500


def test_upsert_frame_updates_only_the_changed_row(conn):
    upsert_frame(conn, "readings", readings(), KEY)
    conn.commit()
    changed = readings()
    changed.loc[10, "power_kw"] = 1234.5
    assert upsert_frame(conn, "readings", changed, KEY) == 1
    conn.commit()
    assert count(conn, "SELECT count(*) FROM readings WHERE power_kw = 1234.5") == 1
    # Only the changed row's ingested_at moved.
    assert count(conn, "SELECT count(DISTINCT ingested_at) FROM readings") == 2


def test_upsert_frame_last_duplicate_in_a_batch_wins(conn):
    batch = pd.concat([readings(5, power=1.0), readings(5, power=2.0)])
    assert upsert_frame(conn, "readings", batch, KEY) == 5
    conn.commit()
    assert count(conn, "SELECT count(*) FROM readings WHERE power_kw = 2.0") == 5


def test_upsert_frame_rolls_back_with_the_callers_transaction(conn):
    upsert_frame(conn, "readings", readings(), KEY)
    conn.rollback()
    assert count(conn, "SELECT count(*) FROM readings") == 0


def edge_rows() -> pd.DataFrame:
    """Ids of several byte lengths, NaN and None that must become NULL, micro- and
    nanoseconds, and a time before 2000 (negative on the wire)."""
    return pd.DataFrame({
        "site_id": "default", "turbine_id": ["T1", "Tä-22", "T1", "WTG-0003"],
        "timestamp": pd.to_datetime(["2026-03-01T00:00:00.123456Z",
                                     "1999-12-31T23:59:59Z", "2040-01-01T00:00Z",
                                     "2026-03-01T00:10:00.000001999Z"],
                                    format="ISO8601"),
        "wind_speed": [1.1, 2.2, 1e-300, 0.0], "wind_direction": [0.0, 359.9, 1.0, 2.0],
        "ambient_temperature": [-5.5, 3.3, 0.1, 0.2],
        "power_kw": [100.0, -1.0, 2e9, 0.5], "pitch_angle": [np.nan, 1.0, 2.0, None]})


def assert_edge_rows_stored(conn) -> None:
    """The readings table holds ``edge_rows()`` exactly, its NaN and None as NULL."""
    frame = edge_rows()
    # Postgres keeps microseconds: finer digits are cut.
    expected = frame.assign(timestamp=frame["timestamp"].dt.floor("us")).sort_values(
        KEY).reset_index(drop=True).drop(columns="site_id")
    back = read_readings(conn, "default")
    pd.testing.assert_frame_equal(back[expected.columns], expected, check_dtype=False)
    assert count(conn, "SELECT count(*) FROM readings WHERE pitch_angle IS NULL") == 2


def test_upsert_frame_values_come_back_exactly(conn):
    assert upsert_frame(conn, "readings", edge_rows(), KEY) == 4
    conn.commit()
    assert_edge_rows_stored(conn)


def test_upsert_frame_merge_path_values_come_back_exactly(conn):
    # One key already stored: the rows go through the stage table and MERGE.
    frame = edge_rows()
    upsert_frame(conn, "readings", frame.iloc[[2]], KEY)
    conn.commit()
    assert upsert_frame(conn, "readings", frame, KEY) == 3
    conn.commit()
    assert_edge_rows_stored(conn)
    assert upsert_frame(conn, "readings", frame, KEY) == 0


def test_upsert_frame_predictions_and_quality_tables(conn):
    issued = pd.Timestamp("2026-03-01T00:00:00Z")
    predictions = pd.DataFrame({
        "issued_at": issued, "timestamp": issued + pd.to_timedelta([10, 20], "min"),
        "site_id": "default", "turbine_id": "T01", "model_version": 4,
        "horizon_minutes": [10, 20],
        "predicted_power_kw": [500.0, 510.0], "p10_power_kw": [400.0, np.nan],
        "p90_power_kw": [600.0, 610.0], "mlflow_run_id": "run-1"})
    key = ["site_id", "issued_at", "timestamp", "turbine_id", "model_version"]
    first = pd.Timestamp("2026-03-01T00:05:00Z")
    assert upsert_frame(conn, "predictions", predictions.assign(as_of=first),
                        key) == 2
    # A re-run at a later as_of adds nothing; the rows keep the as_of that wrote them.
    later = predictions.assign(as_of=first + pd.Timedelta(hours=1))
    assert upsert_frame(conn, "predictions", later, key) == 0
    assert count(conn, "SELECT count(*) FROM predictions WHERE as_of = "
                 "'2026-03-01T00:05:00Z'") == 2
    # A changed value is written with the as_of of the run that changed it.
    changed = later.assign(predicted_power_kw=[501.0, 510.0])
    assert upsert_frame(conn, "predictions", changed, key) == 1
    assert count(conn, "SELECT count(*) FROM predictions WHERE as_of = "
                 "'2026-03-01T01:05:00Z'") == 1
    assert count(conn, "SELECT count(*) FROM predictions WHERE p10_power_kw IS NULL "
                 "AND horizon_minutes = 20 AND model_version = 4") == 1
    # A date column: loaded through the CSV path.
    quality = pd.DataFrame({
        "day": [pd.Timestamp("2026-03-01").date()], "site_id": "default",
        "turbine_id": "T01",
        "horizon_band": "0-6h", "model_version": 4, "rows": 36, "mae_kw": 50.0,
        "bias_kw": -3.0, "rmse_kw": 70.0, "mae_pct_rated": 2.5,
        "baseline_mae_kw": 80.0, "skill": 0.375, "coverage_p10_p90": None})
    qkey = ["site_id", "day", "turbine_id", "horizon_band", "model_version"]
    assert upsert_frame(conn, "forecast_quality", quality, qkey) == 1
    assert upsert_frame(conn, "forecast_quality", quality, qkey) == 0
    assert upsert_frame(conn, "forecast_quality", quality.assign(rows=37), qkey) == 1
    conn.commit()
    assert count(conn, 'SELECT "rows" FROM forecast_quality') == 37
