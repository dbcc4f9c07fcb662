"""The self-contained forecast model: features and behaviour."""

import numpy as np
import pandas as pd
import pytest

from windpower.forecast_model import (
    build_features,
    curve_power,
    fit_binned_curve,
    make_lookup,
    predict_power,
)

pytestmark = pytest.mark.unit


def _batch(turbines: pd.DataFrame, wind: float, steps: int = 12) -> pd.DataFrame:
    """All turbines at a constant wind for ``steps`` 10-minute steps."""
    times = pd.date_range("2026-03-01", periods=steps, freq="10min", tz="UTC")
    ids = turbines["turbine_id"].tolist()
    return pd.DataFrame({
        "timestamp": np.repeat(times, len(ids)), "turbine_id": ids * steps,
        "wind_speed": wind, "wind_direction": 240.0, "ambient_temperature": 10.0})


def test_build_features_aligned_with_input_order(turbines):
    batch = _batch(turbines, 8.0).sample(frac=1.0, random_state=1)
    feats = build_features(batch, make_lookup(turbines, 12))
    assert feats.index.equals(batch.index)
    assert np.allclose(feats["wind_speed"], batch["wind_speed"])
    assert feats["roll7_std"].max() == pytest.approx(0.0)
    assert "baseline_kw_norm" not in feats


def test_build_features_gap_breaks_neighbours(turbines):
    batch = _batch(turbines.iloc[:1], 8.0, steps=4)
    batch = batch.drop(index=2)  # a 10-minute gap
    feats = build_features(batch, make_lookup(turbines, 12))
    assert np.isnan(feats.loc[1, "ws_delta_+1"])
    assert feats.loc[0, "ws_delta_+1"] == pytest.approx(0.0)


def test_binned_curve_interpolates_between_centres():
    wind = np.repeat(np.arange(0.25, 20, 0.5), 5)
    power = np.minimum(wind, 12) * 100
    turbine = np.array(["A"] * len(wind))
    curve = fit_binned_curve(wind, power, turbine, 0.5, 25.0)
    got = curve_power(curve, np.array(["A", "unknown"]), np.array([5.0, 5.0]))
    assert got == pytest.approx([500.0, 500.0])


def test_model_power_rises_with_wind_up_to_rated(trained_bundle, turbines):
    speeds = np.arange(3.5, 12.5, 1.0)
    means = [predict_power(trained_bundle, _batch(turbines, v)).mean()
             for v in speeds]
    assert all(b >= a - 20 for a, b in zip(means, means[1:])), means
    assert means[-1] > 5 * means[0]


def test_model_within_idle_floor_and_rated(trained_bundle, turbines):
    rated = turbines.set_index("turbine_id")["rated_power_kw"]
    floor = trained_bundle["power_floor_norm"]
    assert -0.05 <= floor <= 0.0  # an idling turbine's consumption, no more
    for wind in (0.0, 2.0, 8.0, 14.0, 24.0, 30.0):
        batch = _batch(turbines, wind)
        power = predict_power(trained_bundle, batch)
        assert (power >= floor * batch["turbine_id"].map(rated).to_numpy()).all()
        assert (power <= batch["turbine_id"].map(rated).to_numpy()).all()


def test_model_near_zero_below_cut_in_and_above_cut_out(trained_bundle, turbines):
    low = predict_power(trained_bundle, _batch(turbines, 1.5))
    high = predict_power(trained_bundle, _batch(turbines, 27.0))
    assert low.max() < 0.03 * turbines["rated_power_kw"].min()
    assert high.max() == 0.0


def test_model_is_deterministic(trained_bundle, small_data):
    forecast = small_data["forecast"]
    assert np.array_equal(predict_power(trained_bundle, forecast),
                          predict_power(trained_bundle, forecast))


def test_predictions_follow_rows_in_any_order(trained_bundle, small_data):
    forecast = small_data["forecast"]
    shuffled = forecast.sample(frac=1.0, random_state=3)
    by_row = pd.Series(predict_power(trained_bundle, shuffled), index=shuffled.index)
    expected = predict_power(trained_bundle, forecast)
    assert np.allclose(by_row.loc[forecast.index].to_numpy(), expected)


def test_rolling_features_match_a_pandas_reference(turbines):
    """Vectorised neighbour and farm statistics equal a plain groupby/rolling."""
    rng = np.random.default_rng(5)
    batch = _batch(turbines, 8.0, steps=40)
    batch["wind_speed"] = rng.uniform(3, 15, len(batch))
    batch.loc[batch.sample(n=10, random_state=2).index, "wind_speed"] = np.nan
    feats = build_features(batch, make_lookup(turbines, 12))
    ws_n = feats["ws_norm"].groupby(batch["turbine_id"])
    roll = ws_n.rolling(7, center=True, min_periods=1)
    assert np.allclose(roll.mean().droplevel(0).sort_index(), feats["roll7_mean"],
                       equal_nan=True)
    assert np.allclose(roll.std(ddof=0).droplevel(0).sort_index(), feats["roll7_std"],
                       equal_nan=True)
    farm = feats["ws_norm"].groupby(batch["timestamp"])
    assert np.allclose(farm.transform("std"), feats["farm_ws_std"], equal_nan=True)


def test_unknown_turbine_gets_zero_not_nan(trained_bundle, turbines):
    """The contract rejects unknown turbines; the model alone must not fail on one."""
    batch = _batch(turbines, 9.0)
    first = batch["turbine_id"] == turbines["turbine_id"].iloc[0]
    batch.loc[first, "turbine_id"] = "TX"
    power = predict_power(trained_bundle, batch)
    unknown = batch["turbine_id"].eq("TX").to_numpy()
    assert (power[unknown] == 0.0).all()
    assert (power[~unknown] > 0).all()
