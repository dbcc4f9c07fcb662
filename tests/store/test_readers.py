"""Readers: what was ingested comes back typed, in the contract's columns."""

import pandas as pd
import pytest

from tests.conftest import load_params
from windpower.store.ingest import ingest_frame
from windpower.store.readers import (
    history_end,
    last_reading_time,
    read_readings,
    read_turbines,
)

# Each test talks to a real Postgres (conftest: a testcontainer).
pytestmark = pytest.mark.integration

AS_OF = pd.Timestamp("2026-03-02T00:00:00Z")
RULES = load_params("data_processing")
TURBINES = pd.DataFrame({"turbine_id": ["T01", "T02"], "rated_power_kw": 2000.0,
                         "hub_height_m": 90.0, "rotor_diameter_m": 100.0})


def test_read_readings_round_trip_in_a_window(conn):
    assert last_reading_time(conn) is None
    ingest_frame(conn, "turbines", TURBINES, "test", AS_OF, params=RULES)
    times = pd.date_range("2026-03-01", periods=144, freq="10min", tz="UTC")
    rows = pd.DataFrame({"timestamp": times.repeat(2), "turbine_id": ["T01", "T02"]
                         * 144, "wind_speed": 7.25, "wind_direction": 90.0,
                         "ambient_temperature": -3.5, "power_kw": 640.1,
                         "pitch_angle": [0.5, None] * 144})
    ingest_frame(conn, "scada", rows, "test", AS_OF, params=RULES)
    window = read_readings(conn, "default", times[6], times[12])
    assert list(window.columns) == ["timestamp", "turbine_id", "wind_speed",
                                    "wind_direction", "ambient_temperature",
                                    "power_kw", "pitch_angle"]
    assert len(window) == 12
    # (start, end]: a run at times[12] sees the reading stamped then.
    assert window["timestamp"].min() == times[7]
    assert window["timestamp"].max() == times[12]
    assert str(window["timestamp"].dt.tz) == "UTC"
    assert window.loc[window["turbine_id"] == "T02", "pitch_angle"].isna().all()
    assert (window["power_kw"] == 640.1).all()
    assert last_reading_time(conn) == times[-1]
    turbines = read_turbines(conn, "default")
    assert turbines["turbine_id"].tolist() == ["T01", "T02"]
    assert turbines["rated_power_kw"].tolist() == [2000.0, 2000.0]


def test_history_end_of_a_history_that_ended_long_ago(conn):
    now = pd.Timestamp("2026-12-07T00:00:00Z")
    assert history_end(conn, "default", now) is None  # empty: train up to now
    ingest_frame(conn, "turbines", TURBINES, "test", now, params=RULES)
    old = pd.date_range("2024-05-01", periods=12, freq="10min", tz="UTC")
    rows = pd.DataFrame({"timestamp": old.repeat(2), "turbine_id": ["T01", "T02"]
                         * 12, "wind_speed": 7.0, "wind_direction": 90.0,
                         "ambient_temperature": 3.0, "power_kw": 600.0})
    ingest_frame(conn, "scada", rows, "test", now, params=RULES)
    assert history_end(conn, "default", now) == old[-1]
    # A live feed: the newest reading is minutes old, training runs up to now.
    assert history_end(conn, "default", old[-1] + pd.Timedelta(hours=3)) is None


def test_read_turbines_at_as_of_are_those_that_existed_then(conn):
    ingest_frame(conn, "turbines", TURBINES, "test", AS_OF, params=RULES)
    times = pd.date_range("2026-03-01", periods=6, freq="10min", tz="UTC")
    first = pd.DataFrame({"timestamp": times, "turbine_id": "T01", "wind_speed": 7.0,
                          "wind_direction": 90.0, "ambient_temperature": 3.0,
                          "power_kw": 600.0})
    # T02 starts reporting an hour later: before then, a run does not know it.
    later = first.assign(turbine_id="T02", timestamp=times + pd.Timedelta(hours=1))
    ingest_frame(conn, "scada", pd.concat([first, later]), "test", AS_OF,
                 params=RULES)
    assert read_turbines(conn, "default", times[-1])["turbine_id"].tolist() == ["T01"]
    then = later["timestamp"].iloc[0]
    assert read_turbines(conn, "default", then)["turbine_id"].tolist() == [
        "T01", "T02"]
    assert read_turbines(conn, "default")["turbine_id"].tolist() == ["T01", "T02"]
