"""The seeded generator: determinism, realistic ranges, the dirt it must carry."""

import numpy as np
import pandas as pd
import pytest

from windpower.generator import CUT_IN, CUT_OUT, RATED_WS, power_curve
from windpower.synthetic import generate_dataset

pytestmark = pytest.mark.unit
END = pd.Timestamp("2026-03-01T00:00:00Z")  # as in conftest.small_data


def test_generate_dataset_same_seed_same_data(small_data):
    again = generate_dataset(seed=7, end=END, days=60, n_turbines=3, forecast_hours=12)
    for name, frame in small_data.items():
        pd.testing.assert_frame_equal(frame, again[name])


def test_generate_dataset_other_seed_differs(small_data):
    other = generate_dataset(seed=8, end=END, days=60, n_turbines=3, forecast_hours=12)
    assert not small_data["scada"]["power_kw"].equals(other["scada"]["power_kw"])


def test_generate_dataset_contract_columns_and_ranges(small_data):
    scada, turbines = small_data["scada"], small_data["turbines"]
    assert list(scada.columns) == ["timestamp", "turbine_id", "wind_speed",
                                   "wind_direction", "ambient_temperature",
                                   "power_kw", "pitch_angle"]
    assert list(turbines.columns) == ["turbine_id", "rated_power_kw", "hub_height_m",
                                      "rotor_diameter_m"]
    ws = scada["wind_speed"].dropna()
    assert 5 < ws.median() < 10
    assert ws.quantile(0.99) < 30
    assert scada["ambient_temperature"].between(-30, 45).mean() > 0.99
    assert scada["timestamp"].max() <= END


def test_generate_dataset_carries_dirt(small_data):
    scada = small_data["scada"]
    assert scada.duplicated(["timestamp", "turbine_id"]).any()
    assert scada["wind_speed"].isna().any() and scada["power_kw"].isna().any()
    assert (scada["turbine_id"] == "T99").any()
    assert (scada["wind_direction"] > 360).any()
    assert (scada["pitch_angle"] > 80).any(), "stoppages feather the blades"
    per_turbine = scada.groupby("turbine_id")["timestamp"].nunique()
    assert (per_turbine.drop("T99") < 60 * 144).all(), "gaps remove rows"


def test_generate_dataset_forecast_follows_history(small_data):
    forecast = small_data["forecast"]
    assert forecast["timestamp"].min() > small_data["scada"]["timestamp"].max()
    assert forecast["timestamp"].nunique() == 12 * 6
    assert forecast.notna().all().all()


def test_power_curve_shape():
    wind = np.array([0.0, CUT_IN - 0.1, 8.0, RATED_WS, 20.0, CUT_OUT])
    power = power_curve(wind)
    assert power[0] == power[1] == 0.0
    assert 0 < power[2] < 1
    assert power[3] == power[4] == 1.0
    assert power[5] == 0.0
