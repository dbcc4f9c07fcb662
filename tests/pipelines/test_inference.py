"""Nodes of the inference pipeline."""

import numpy as np
import pandas as pd
import pytest

from windpower.errors import NO_CHAMPION_MESSAGE, NoChampionError, NoForecastError
from windpower.forecast_model import predict_frame
from windpower.model_inputs import model_input
from windpower.pipelines.inference.nodes import (
    predict_power,
    select_forecast,
    summarise_inference,
)

pytestmark = pytest.mark.unit
ISSUED = pd.Timestamp("2026-03-01T00:00:00Z")
NO_READINGS = pd.DataFrame({"turbine_id": pd.Series(dtype=str),
                            "timestamp": pd.Series(dtype="datetime64[ns, UTC]"),
                            "wind_speed": pd.Series(dtype=float),
                            "power_kw": pd.Series(dtype=float)})
DP_PARAMS = {"forecast_pairs": {"at_issue_max_age_minutes": 60}}


class _BundleModel:
    """Stands in for the pyfunc model: same predict contract."""

    def __init__(self, bundle):
        self.bundle = bundle

    def predict(self, frame):
        return predict_frame(self.bundle, frame)


@pytest.fixture
def issued_forecast(small_data) -> pd.DataFrame:
    """The small data's forecast as the store returns it: with its issue time."""
    return small_data["forecast"].assign(issued_at=ISSUED)


def test_select_forecast_drops_unknown_turbines_and_past_rows(issued_forecast,
                                                              turbines):
    raw = issued_forecast.copy()
    raw.loc[0, "turbine_id"] = "T42"
    raw.loc[1, "timestamp"] = ISSUED  # not after the issue: nothing to forecast
    selected = select_forecast(raw, turbines, NO_READINGS, DP_PARAMS)
    assert len(selected) == len(raw) - 2
    assert set(selected["turbine_id"]) <= set(turbines["turbine_id"])


def test_select_forecast_without_any_forecast_fails_readably(turbines):
    empty = pd.DataFrame(columns=["issued_at", "timestamp", "turbine_id"])
    with pytest.raises(NoForecastError, match="no weather forecast issued"):
        select_forecast(empty, turbines, NO_READINGS, DP_PARAMS)


def test_predict_power_without_champion_fails_readably(issued_forecast):
    with pytest.raises(NoChampionError) as info:
        predict_power(None, issued_forecast)
    assert str(info.value) == NO_CHAMPION_MESSAGE


def test_predict_power_rows_carry_issue_horizon_version_and_run(
        trained_bundle, issued_forecast, turbines):
    forecast = select_forecast(issued_forecast, turbines, NO_READINGS, DP_PARAMS)
    champion = {"model": _BundleModel(trained_bundle), "version": 7, "run_id": "r1"}
    stored, band = predict_power(champion, forecast)
    assert band is None  # a champion trained without a farm band
    assert list(stored.columns) == [
        "issued_at", "timestamp", "turbine_id", "model_version", "horizon_minutes",
        "predicted_power_kw", "p10_power_kw", "p90_power_kw", "mlflow_run_id"]
    assert (stored["p10_power_kw"] <= stored["predicted_power_kw"]).all()
    assert (stored["predicted_power_kw"] <= stored["p90_power_kw"]).all()
    # Each stored quantile is the model's own, not a neighbour's column.
    quantiles = predict_frame(trained_bundle, model_input(forecast))
    for column in ("p10_power_kw", "predicted_power_kw", "p90_power_kw"):
        np.testing.assert_array_equal(stored[column], quantiles[column])
    assert (stored["p10_power_kw"] < stored["predicted_power_kw"]).mean() > 0.5
    assert (stored["predicted_power_kw"] < stored["p90_power_kw"]).mean() > 0.5
    assert (stored["model_version"] == 7).all()
    assert (stored["mlflow_run_id"] == "r1").all()
    assert (stored["issued_at"] == ISSUED).all()
    expected = (stored["timestamp"] - ISSUED).dt.total_seconds() // 60
    assert (stored["horizon_minutes"] == expected).all()
    assert stored["horizon_minutes"].min() == 10  # the first step after issue
    assert str(stored["timestamp"].dt.tz) == "UTC"
    assert np.isfinite(stored["predicted_power_kw"]).all()


def test_summarise_inference_keys():
    predictions = pd.DataFrame({
        "issued_at": ISSUED,
        "timestamp": pd.date_range("2026-03-01", periods=4, freq="10min", tz="UTC"),
        "turbine_id": ["T01", "T02"] * 2, "model_version": 2,
        "predicted_power_kw": [600.0, 1200.0, 600.0, 1200.0], "mlflow_run_id": "r"})
    summary = summarise_inference(predictions)
    assert summary["rows_scored"] == 4
    assert summary["model_version"] == 2 and summary["mlflow_run_id"] == "r"
    assert summary["issued_at"].startswith("2026-03-01T00:00")
    assert summary["mean_predicted_power_kw"] == {"T01": 600.0, "T02": 1200.0}
    assert summary["total_predicted_energy_mwh"] == pytest.approx(0.6)
    assert summary["forecast_start"].startswith("2026-03-01T00:00")
