"""Nodes of the inference pipeline."""

import numpy as np
import pandas as pd
import pytest

from windpower.errors import NO_CHAMPION_MESSAGE, NoChampionError
from windpower.forecast_model import predict_frame
from windpower.pipelines.inference.nodes import (
    predict_power,
    summarise_inference,
    validate_forecast,
)

pytestmark = pytest.mark.unit


class _BundleModel:
    """Stands in for the pyfunc model: same predict contract."""

    def __init__(self, bundle):
        self.bundle = bundle

    def predict(self, frame):
        return predict_frame(self.bundle, frame)


def test_validate_forecast_rejects_bad_rows(small_data, turbines, dp_params):
    raw = small_data["forecast"].copy()
    raw.loc[0, "wind_speed"] = -3.0
    raw.loc[1, "turbine_id"] = "T42"
    valid, rejected, report = validate_forecast(raw, turbines, dp_params)
    assert len(valid) == len(raw) - 2
    assert set(rejected["rejection_rule"]) == {"out_of_range_wind_speed",
                                               "unknown_turbine"}
    assert report["rows_rejected"] == 2


def test_predict_power_without_champion_fails_readably(small_data):
    with pytest.raises(NoChampionError) as info:
        predict_power(None, small_data["forecast"])
    assert str(info.value) == NO_CHAMPION_MESSAGE


def test_predict_power_rows_carry_version_and_run(trained_bundle, small_data,
                                                  turbines, dp_params):
    forecast = validate_forecast(small_data["forecast"], turbines, dp_params)[0]
    champion = {"model": _BundleModel(trained_bundle), "version": 7, "run_id": "r1"}
    stored, scored = predict_power(champion, forecast)
    pd.testing.assert_frame_equal(stored, scored)
    assert list(stored.columns) == ["timestamp", "turbine_id", "model_version",
                                    "predicted_power_kw", "p10_power_kw",
                                    "p90_power_kw", "mlflow_run_id"]
    assert (stored["p10_power_kw"] <= stored["predicted_power_kw"]).all()
    assert (stored["predicted_power_kw"] <= stored["p90_power_kw"]).all()
    assert (stored["model_version"] == 7).all()
    assert (stored["mlflow_run_id"] == "r1").all()
    assert str(stored["timestamp"].dt.tz) == "UTC"
    assert np.isfinite(stored["predicted_power_kw"]).all()


def test_summarise_inference_keys():
    predictions = pd.DataFrame({
        "timestamp": pd.date_range("2026-03-01", periods=4, freq="10min", tz="UTC"),
        "turbine_id": ["T01", "T02"] * 2, "model_version": 2,
        "predicted_power_kw": [600.0, 1200.0, 600.0, 1200.0], "mlflow_run_id": "r"})
    summary = summarise_inference(predictions, {"rows_rejected": 1,
                                                "rejected": {"unknown_turbine": 1}})
    assert summary["rows_scored"] == 4 and summary["rows_rejected"] == 1
    assert summary["model_version"] == 2 and summary["mlflow_run_id"] == "r"
    assert summary["mean_predicted_power_kw"] == {"T01": 600.0, "T02": 1200.0}
    assert summary["total_predicted_energy_mwh"] == pytest.approx(0.6)
    assert summary["forecast_start"].startswith("2026-03-01T00:00")
