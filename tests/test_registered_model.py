"""The registered pyfunc through a real MLflow store: timestamp forms, quantiles."""

import mlflow
import numpy as np
import pandas as pd
import pytest

from tests.conftest import use_mlflow_store
from windpower.datasets.registry import RegisteredModelDataset
from windpower.forecast_model import predict_frame
from windpower.model_inputs import model_input

pytestmark = pytest.mark.unit
COLUMNS = ["predicted_power_kw", "p10_power_kw", "p90_power_kw"]


@pytest.fixture(scope="module")
def loaded_model(tmp_path_factory, trained_bundle, model_tables):
    """The small model logged, registered and loaded back as MLflow's pyfunc,
    once for the module (the tests only predict with it)."""
    example = model_input(model_tables["holdout_table"].head(36))
    with pytest.MonkeyPatch.context() as monkeypatch:
        use_mlflow_store(tmp_path_factory.mktemp("registry"), monkeypatch)
        with mlflow.start_run():
            RegisteredModelDataset("default").save(
                {"bundle": trained_bundle, "alias": "champion",
                 "input_example": example})
        yield mlflow.pyfunc.load_model("models:/windpower-default@champion")


def _forms(forecast: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The same instants as naive UTC, zone-aware (Paris) and ISO-8601 strings."""
    utc = pd.to_datetime(forecast["timestamp"], utc=True)
    kolkata = utc.dt.tz_convert("Asia/Kolkata")  # +05:30: not a whole hour
    return {"naive_utc": forecast.assign(timestamp=utc.dt.tz_convert(None)),
            "aware_paris": forecast.assign(timestamp=utc.dt.tz_convert("Europe/Paris")),
            "iso_strings": forecast.assign(
                timestamp=[t.isoformat() for t in kolkata])}


@pytest.mark.parametrize("form", ["naive_utc", "aware_paris", "iso_strings"])
def test_pyfunc_takes_each_timestamp_form_as_the_same_instants(
        loaded_model, trained_bundle, small_data, form):
    forecast = small_data["forecast"]
    batch = _forms(forecast)[form]
    expected = predict_frame(trained_bundle, _forms(forecast)["naive_utc"])
    got = loaded_model.predict(batch)
    assert list(got.columns) == COLUMNS
    assert len(got) == len(forecast)
    pd.testing.assert_frame_equal(got.reset_index(drop=True),
                                  expected.reset_index(drop=True))


def test_pyfunc_quantiles_are_ordered_and_within_rated(loaded_model, small_data,
                                                       turbines):
    forecast = small_data["forecast"]
    got = loaded_model.predict(forecast)
    rated = forecast["turbine_id"].map(
        turbines.set_index("turbine_id")["rated_power_kw"]).to_numpy()
    p10, p50, p90 = (got[c].to_numpy() for c in
                     ("p10_power_kw", "predicted_power_kw", "p90_power_kw"))
    floor = loaded_model.unwrap_python_model().bundle["power_floor_norm"]
    assert (p10 >= floor * rated).all() and (p90 <= rated).all()
    assert (p10 <= p50).all() and (p50 <= p90).all()
    assert np.mean(p90 - p10) > 0.01 * rated.mean(), "an interval, not a point"


def test_pyfunc_names_missing_columns(loaded_model, small_data):
    with pytest.raises(ValueError, match="wind_speed"):
        loaded_model.predict(small_data["forecast"].drop(columns="wind_speed"))
