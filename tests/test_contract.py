"""Data contract: file-level breaks raise ContractError, bad rows get a rule."""

import pandas as pd
import pytest

from windpower.contract import check_file, check_turbines, row_rules
from windpower.contract.header import detect_kind
from windpower.datasets.files import RawInputDataset
from windpower.errors import ContractError

pytestmark = pytest.mark.unit

RANGES = {"wind_speed": [0.0, 50.0], "wind_direction": [0.0, 360.0],
          "ambient_temperature": [-50.0, 60.0], "power_kw": [-100.0, 1.2]}


def _rows(**overrides) -> pd.DataFrame:
    row = {"timestamp": "2026-01-01T00:00:00Z", "turbine_id": "T01",
           "wind_speed": 8.0, "wind_direction": 180.0, "ambient_temperature": 5.0,
           "power_kw": 900.0}
    return pd.DataFrame([row | overrides])


@pytest.fixture
def fleet() -> pd.DataFrame:
    return pd.DataFrame({"turbine_id": ["T01"], "rated_power_kw": [2000.0],
                         "hub_height_m": [90.0], "rotor_diameter_m": [100.0]})


def _rule(frame, fleet) -> str:
    return row_rules(frame, "scada", fleet, RANGES)[1].iloc[-1]


def test_row_rules_good_row_has_no_rule(fleet):
    assert _rule(_rows(), fleet) == ""


@pytest.mark.parametrize(("overrides", "rule"), [
    ({"timestamp": "not a date"}, "unparsable_timestamp"),
    ({"turbine_id": "T99"}, "unknown_turbine"),
    ({"wind_speed": -1.0}, "out_of_range_wind_speed"),
    ({"wind_direction": 400.0}, "out_of_range_wind_direction"),
    ({"power_kw": 2500.0}, "out_of_range_power_kw"),
    ({"wind_speed": None}, "missing_wind_speed"),
    ({"wind_speed": "fast"}, "non_numeric_wind_speed"),
])
def test_row_rules_names_the_broken_rule(fleet, overrides, rule):
    assert _rule(_rows(**overrides), fleet) == rule


def test_row_rules_duplicate_keeps_first(fleet):
    frame = pd.concat([_rows(), _rows(power_kw=950.0)], ignore_index=True)
    rules = row_rules(frame, "scada", fleet, RANGES)[1]
    assert rules.tolist() == ["", "duplicate_timestamp_turbine"]


def test_row_rules_duplicate_of_a_bad_row_is_kept(fleet):
    # Only good rows count as seen: a repeat of a rejected row is judged alone.
    frame = pd.concat([_rows(power_kw=9999.0), _rows(), _rows(turbine_id="T99"),
                       _rows(timestamp="2026-01-01T01:00:00+01:00")],
                      ignore_index=True)
    rules = row_rules(frame, "scada", fleet, RANGES)[1]
    assert rules.tolist() == ["out_of_range_power_kw", "", "unknown_turbine",
                              "duplicate_timestamp_turbine"]


def test_row_rules_missing_turbine_id_is_unknown(fleet):
    assert _rule(_rows(turbine_id=None), fleet) == "unknown_turbine"


def test_row_rules_mixed_time_zones_parse_to_utc(fleet):
    frame = _rows(timestamp="2026-01-01T01:00:00+01:00")
    typed, rules = row_rules(frame, "scada", fleet, RANGES)
    assert rules.iloc[0] == ""
    assert typed["timestamp"].iloc[0] == pd.Timestamp("2026-01-01T00:00:00Z")


def test_check_file_missing_column_names_file_and_column():
    frame = _rows().drop(columns="power_kw")
    frame.attrs["source"] = "scada.csv"
    with pytest.raises(ContractError, match="scada.csv.*'power_kw'.*missing"):
        check_file(frame, "scada")


def test_check_file_all_missing_column():
    frame = _rows(power_kw=None)
    with pytest.raises(ContractError, match="power_kw.*no values"):
        check_file(frame, "scada")


def test_check_turbines_rejects_duplicate_ids(fleet):
    with pytest.raises(ContractError, match="turbine_id"):
        check_turbines(pd.concat([fleet, fleet]))


@pytest.mark.parametrize(("name", "content", "rule"), [
    ("empty.csv", b"", "file is empty"),
    ("header.csv", b"timestamp,turbine_id,wind_speed,wind_direction,"
     b"ambient_temperature,power_kw\n", "no rows"),
    ("binary.parquet", b"\x00\x01not parquet at all", "not a readable table"),
    ("notes.txt", b"hello", "file type"),
    ("json.csv", b'{"a": [1, 2]}', "required column is missing"),
])
def test_raw_dataset_bad_file_raises_contract_error(tmp_path, name, content, rule):
    path = tmp_path / name
    path.write_bytes(content)
    frame = RawInputDataset(filepath=str(path), kind="scada").load()
    with pytest.raises(ContractError, match=rule) as info:
        check_file(frame, "scada")
    assert str(path) in str(info.value)


def test_raw_dataset_user_path_missing_is_an_error(tmp_path):
    path = tmp_path / "nope.csv"
    frame = RawInputDataset(filepath=str(path), kind="scada").load()
    with pytest.raises(ContractError, match="nope.csv.*does not exist"):
        check_file(frame, "scada")
    assert not path.exists()


def test_raw_dataset_default_path_is_generated(tmp_path):
    path = tmp_path / "turbines.csv"
    dataset = RawInputDataset(filepath=str(path), kind="turbines",
                              generate_if_missing=True,
                              generator={"seed": 1, "days": 2, "n_turbines": 2,
                                         "forecast_hours": 1})
    frame = dataset.load()
    assert path.exists() and len(frame) == 2
    assert frame.attrs["source"] == str(path)


def test_raw_dataset_is_read_only(tmp_path):
    from kedro.io import DatasetError  # noqa: PLC0415

    with pytest.raises(DatasetError, match="read-only"):
        RawInputDataset(filepath=str(tmp_path / "x.csv"), kind="scada").save(_rows())


@pytest.mark.parametrize(("header", "declared", "kind"), [
    ("timestamp,turbine_id,wind_speed,wind_direction,ambient_temperature,power_kw",
     None, "scada"),
    ("turbine_id,rated_power_kw,hub_height_m,rotor_diameter_m", None, "turbines"),
    ("issued_at,timestamp,turbine_id,wind_speed,wind_direction,ambient_temperature",
     None, "forecast"),
    ("timestamp,turbine_id,wind_speed,wind_direction,ambient_temperature",
     "forecast", "forecast"),
])
def test_detect_kind_is_declared_or_unambiguous(tmp_path, header, declared, kind):
    path = tmp_path / "file.csv"
    path.write_text(header + "\n")
    assert detect_kind(path, declared) == kind


@pytest.mark.parametrize("declared", [None, "scada"])
def test_detect_kind_refuses_scada_missing_power_kw(tmp_path, declared):
    """Never guessed to be a weather forecast: refused naming the column."""
    path = tmp_path / "export.csv"
    path.write_text("timestamp,turbine_id,wind_speed,wind_direction,"
                    "ambient_temperature,pitch_angle\n")
    with pytest.raises(ContractError) as info:
        detect_kind(path, declared)
    assert (info.value.source, info.value.column) == (str(path), "power_kw")
