"""Nodes and pipeline of data_processing."""

import numpy as np
import pandas as pd
import pytest
from kedro.io import DataCatalog, MemoryDataset
from kedro.runner import SequentialRunner

from windpower.errors import ContractError
from windpower.pipelines.data_processing import create_pipeline
from windpower.pipelines.data_processing.nodes import (
    build_model_input,
    flag_operation,
    split_by_time,
    validate_readings,
    validate_turbines,
)

pytestmark = pytest.mark.unit


@pytest.fixture
def valid(small_data, turbines, dp_params) -> pd.DataFrame:
    return validate_readings(small_data["scada"], turbines, dp_params)[0]


def test_validate_turbines_types_table(small_data):
    out = validate_turbines(small_data["turbines"])
    assert out["rated_power_kw"].dtype == float
    assert out["turbine_id"].tolist() == ["T01", "T02", "T03"]


def test_validate_readings_rejects_with_rule_and_counts(small_data, turbines,
                                                        dp_params):
    raw = small_data["scada"]
    before = raw.copy()
    valid, rejected, report = validate_readings(raw, turbines, dp_params)
    pd.testing.assert_frame_equal(raw, before)  # input untouched
    assert len(valid) + len(rejected) == len(raw) == report["rows_total"]
    assert report["rows_rejected"] == len(rejected) > 0
    assert {"unknown_turbine", "duplicate_timestamp_turbine",
            "out_of_range_wind_direction"} <= set(rejected["rejection_rule"])
    assert sum(report["rejected"].values()) == len(rejected)
    assert not valid.duplicated(["timestamp", "turbine_id"]).any()
    assert valid["timestamp"].dt.tz is not None


def test_validate_readings_missing_column_raises(small_data, turbines, dp_params):
    raw = small_data["scada"].drop(columns="wind_speed")
    raw.attrs["source"] = "my_scada.csv"
    with pytest.raises(ContractError, match="my_scada.csv.*wind_speed"):
        validate_readings(raw, turbines, dp_params)


def test_flag_operation_marks_stoppages_and_curtailment(valid, turbines, dp_params):
    flagged = flag_operation(valid, turbines, dp_params)
    states = flagged["operating_state"].value_counts()
    assert states["normal"] / len(flagged) > 0.8
    assert {"stoppage", "curtailment"} <= set(states.index)
    stopped = flagged[flagged["operating_state"] == "stoppage"]
    assert (stopped["power_kw"] < 0.05 * 3000).mean() > 0.9
    assert "operating_state" not in valid.columns


def test_build_model_input_adds_features(valid, turbines, dp_params):
    table = build_model_input(flag_operation(valid, turbines, dp_params), turbines,
                              dp_params)
    assert len(table) == len(valid)
    for column in ("ws_norm", "roll7_mean", "farm_ws_mean", "sector_turbine",
                   "power_kw", "operating_state"):
        assert column in table.columns
    assert "baseline_kw_norm" not in table.columns  # fitted in training


def test_build_model_input_features_do_not_depend_on_pitch(valid, turbines,
                                                          dp_params):
    """Pitch is measured, never forecast: no feature may be computed from it."""
    flagged = flag_operation(valid, turbines, dp_params)
    shuffled = np.random.default_rng(0).permutation(flagged["pitch_angle"])
    table = build_model_input(flagged, turbines, dp_params)
    other = build_model_input(flagged.assign(pitch_angle=shuffled), turbines,
                              dp_params)
    features = table.columns.difference(flagged.columns)
    assert len(features) > 0
    pd.testing.assert_frame_equal(table[features], other[features])


def test_split_by_time_never_mixes_periods(valid, dp_params):
    params = dict(dp_params, holdout_days=10)
    train, test = split_by_time(valid, params)
    assert len(train) + len(test) == len(valid)
    assert train["timestamp"].max() < test["timestamp"].min()
    span = test["timestamp"].max() - test["timestamp"].min()
    assert span <= pd.Timedelta(days=10)


def test_data_processing_pipeline_runs_in_memory(small_data, dp_params):
    catalog = DataCatalog({
        "scada_raw": MemoryDataset(small_data["scada"]),
        "turbines_raw": MemoryDataset(small_data["turbines"]),
        "forecast_archive": MemoryDataset(pd.DataFrame()),  # none: the fallback
        "params:data_processing": MemoryDataset(dict(dp_params, holdout_days=10)),
    })
    SequentialRunner().run(create_pipeline(), catalog)
    train, holdout = catalog.load("train_table"), catalog.load("holdout_table")
    assert len(train) > len(holdout) > 0
    assert len(catalog.load("rejected_readings")) > 0
