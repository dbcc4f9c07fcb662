"""File ingest: contract-checked, exactly once per file content, files untouched."""

import hashlib
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import load_params
from windpower.store.ingest import ingest_file, ingest_files, ingest_frame
from windpower.store.readers import latest_weather_forecast, read_readings

from .conftest import count

# Each test talks to a real Postgres (conftest: a testcontainer).
pytestmark = pytest.mark.integration

AS_OF = pd.Timestamp("2026-03-02T00:00:00Z")
RULES = load_params("data_processing")
PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452") + b"\x00" * 64


def scada(n: int, start: str = "2026-03-01T00:00:00Z") -> pd.DataFrame:
    times = pd.date_range(start, periods=n, freq="10min", tz="UTC")
    return pd.DataFrame({
        "timestamp": times.strftime("%Y-%m-%dT%H:%M:%SZ"), "turbine_id": "T01",
        "wind_speed": 8.0, "wind_direction": 180.0, "ambient_temperature": 12.5,
        "power_kw": 900.0, "pitch_angle": 1.0})


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    """turbines.csv, good.csv, partly_bad.csv (3 bad rows) and image.csv (a PNG)."""
    pd.DataFrame({"turbine_id": ["T01"], "rated_power_kw": [2000.0],
                  "hub_height_m": [90.0], "rotor_diameter_m": [100.0]}
                 ).to_csv(tmp_path / "turbines.csv", index=False)
    scada(50).to_csv(tmp_path / "good.csv", index=False)
    bad = scada(20, "2026-03-01T12:00:00Z")
    bad.loc[3, "turbine_id"] = "T99"
    bad["wind_speed"] = bad["wind_speed"].astype(object)
    bad.loc[5, "wind_speed"] = "fast"
    bad.loc[7, "power_kw"] = 99999.0
    bad.to_csv(tmp_path / "partly_bad.csv", index=False)
    (tmp_path / "image.csv").write_bytes(PNG)
    return tmp_path


def checksums(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.iterdir())}


def ingest_all(conn, folder: Path) -> dict[str, object]:
    """Every file of the inbox; ingest_files puts the turbine table first."""
    results = ingest_files(conn, sorted(folder.iterdir()), AS_OF, params=RULES)
    return {r.name: r for r in results}


def test_ingest_file_keeps_good_rows_rejects_bad_refuses_png(conn, inbox):
    before = checksums(inbox)
    results = ingest_all(conn, inbox)
    assert [(name, r.kind, r.status, r.rows_accepted, r.rows_rejected)
            for name, r in results.items()] == [
        ("turbines.csv", "turbines", "ingested", 1, 0),
        ("good.csv", "scada", "ingested", 50, 0),
        ("image.csv", None, "refused", 0, 0),
        ("partly_bad.csv", "scada", "ingested", 17, 3)]
    assert "image.csv" in results["image.csv"].error
    assert "PNG image" in results["image.csv"].error
    assert count(conn, "SELECT count(*) FROM readings") == 67
    with conn.cursor() as cur:
        cur.execute("SELECT rule, column_name, turbine_id, row_data->>'wind_speed' "
                    "FROM rejected_rows WHERE source = 'partly_bad.csv' ORDER BY rule")
        assert cur.fetchall() == [
            ("non_numeric_wind_speed", "wind_speed", "T01", "fast"),
            ("out_of_range_power_kw", "power_kw", "T01", "8.0"),
            ("unknown_turbine", "turbine_id", "T99", "8.0")]
        cur.execute("SELECT name, status, error IS NOT NULL FROM ingested_files "
                    "ORDER BY name")
        assert cur.fetchall() == [
            ("good.csv", "ingested", False), ("image.csv", "refused", True),
            ("partly_bad.csv", "ingested", False), ("turbines.csv", "ingested", False)]
    assert checksums(inbox) == before


def test_ingest_file_second_time_adds_nothing(conn, inbox):
    ingest_all(conn, inbox)
    again = ingest_all(conn, inbox)
    assert {r.status for r in again.values()} == {"skipped"}
    assert count(conn, "SELECT count(*) FROM readings") == 67
    assert count(conn, "SELECT count(*) FROM rejected_rows") == 3
    assert count(conn, "SELECT count(*) FROM ingested_files") == 4


def test_ingest_file_same_bytes_under_another_name_are_skipped(conn, inbox):
    """A file is known by its content: a copy under a new name is never read."""
    ingest_all(conn, inbox)
    copy = inbox / "good_copy.csv"
    copy.write_bytes((inbox / "good.csv").read_bytes())
    result = ingest_file(conn, copy, AS_OF, params=RULES)
    assert (result.status, result.rows_accepted) == ("skipped", 0)
    assert count(conn, "SELECT count(*) FROM ingested_files WHERE name = "
                 "'good_copy.csv'") == 0


def test_ingest_file_same_rows_under_another_name_write_nothing(conn, inbox):
    ingest_all(conn, inbox)
    copy = inbox / "good_again.csv.gz"
    scada(50).to_csv(copy, index=False, compression="gzip")
    result = ingest_file(conn, copy, AS_OF, params=RULES)
    assert (result.status, result.rows_accepted, result.rows_written) == (
        "ingested", 50, 0)


def test_ingest_file_without_turbines_refuses_scada(conn, inbox):
    result = ingest_file(conn, inbox / "good.csv", AS_OF, params=RULES)
    assert result.status == "refused"
    assert "unknown_turbine" in result.error


def test_ingest_file_forecast_issues_and_latest(conn, inbox):
    ingest_file(conn, inbox / "turbines.csv", AS_OF, params=RULES)
    hours = scada(12, "2026-03-02T00:00:00Z").drop(columns=["power_kw",
                                                            "pitch_angle"])
    hours.to_csv(inbox / "forecast_a.csv", index=False)
    issued = "2026-03-02T01:00:00Z"
    hours.assign(issued_at=issued, wind_speed=9.5).to_parquet(
        inbox / "forecast_b.parquet")
    first = ingest_file(conn, inbox / "forecast_a.csv", AS_OF, params=RULES,
                        kind="forecast")
    second = ingest_file(conn, inbox / "forecast_b.parquet", AS_OF, params=RULES)
    assert (first.kind, first.rows_accepted, second.rows_accepted) == (
        "forecast", 12, 12)
    early = latest_weather_forecast(conn, "default",
                                    pd.Timestamp("2026-03-02T00:30:00Z"))
    assert set(early["issued_at"]) == {pd.Timestamp("2026-03-01T23:50:00Z")}
    assert len(early) == 12
    late = latest_weather_forecast(conn, "default",
                                   pd.Timestamp("2026-03-02T06:00:00Z"))
    assert set(late["issued_at"]) == {pd.Timestamp(issued)}
    assert len(late) == 5 and (late["timestamp"] > late["issued_at"]).all()
    assert (late["wind_speed"] == 9.5).all()


def test_ingest_frame_records_rows_without_a_file(conn, inbox):
    ingest_file(conn, inbox / "turbines.csv", AS_OF, params=RULES)
    frame = scada(6)
    frame.loc[0, "timestamp"] = "not a time"
    result = ingest_frame(conn, "scada", frame, "demo-farm", AS_OF, params=RULES)
    assert (result.status, result.rows_accepted, result.rows_rejected) == (
        "ingested", 5, 1)
    assert len(read_readings(conn, "default")) == 5
    assert count(conn, "SELECT count(*) FROM ingested_files") == 1
    assert count(conn, "SELECT count(*) FROM rejected_rows WHERE source = "
                 "'demo-farm' AND rule = 'unparsable_timestamp'") == 1


def test_ingest_file_forecast_rejects_bad_issue_times_and_rows(conn, inbox):
    ingest_file(conn, inbox / "turbines.csv", AS_OF, params=RULES)
    hours = scada(4, "2026-03-02T00:00:00Z").drop(columns=["power_kw",
                                                           "pitch_angle"])
    hours["issued_at"] = ["2026-03-01T23:00:00Z"] * 3 + ["yesterday"]
    hours["wind_direction"] = hours["wind_direction"].astype(object)
    hours.loc[0, "wind_direction"] = 400.0
    hours.to_csv(inbox / "forecast.csv", index=False)
    result = ingest_file(conn, inbox / "forecast.csv", AS_OF, params=RULES)
    assert (result.kind, result.rows_accepted, result.rows_rejected) == (
        "forecast", 2, 2)
    with conn.cursor() as cur:
        cur.execute("SELECT rule, row_data->>'issued_at' FROM rejected_rows "
                    "ORDER BY rule")
        assert cur.fetchall() == [
            ("out_of_range_wind_direction", "2026-03-01T23:00:00+00:00"),
            ("unparsable_issued_at", "yesterday")]


def test_ingest_file_refuses_scada_missing_power_kw_and_stores_nothing(conn, inbox):
    """A SCADA export missing power_kw is never guessed to be a weather forecast:
    refused naming the column, in the inbox and when declared as SCADA."""
    ingest_file(conn, inbox / "turbines.csv", AS_OF, params=RULES)
    scada(50).drop(columns="power_kw").to_csv(inbox / "export.csv", index=False)
    guessed = ingest_file(conn, inbox / "export.csv", AS_OF, params=RULES)
    assert (guessed.status, guessed.column) == ("refused", "power_kw")
    (inbox / "declared").mkdir()
    scada(40).drop(columns="power_kw").to_csv(inbox / "declared" / "scada.csv",
                                              index=False)
    declared = ingest_file(conn, inbox / "declared" / "scada.csv", AS_OF,
                           params=RULES, kind="scada")
    assert (declared.status, declared.kind, declared.column) == (
        "refused", "scada", "power_kw")
    assert count(conn, "SELECT count(*) FROM weather_forecasts") == 0
    assert count(conn, "SELECT count(*) FROM readings") == 0


def test_ingest_file_takes_a_forecast_by_its_declared_kind(conn, inbox):
    """A forecast without issued_at is stored when its kind is declared
    (FORECAST_PATH, inbox/forecasts/)."""
    ingest_file(conn, inbox / "turbines.csv", AS_OF, params=RULES)
    hours = scada(6, "2026-03-02T00:00:00Z").drop(columns=["power_kw", "pitch_angle"])
    hours.to_csv(inbox / "hours.csv", index=False)
    assert ingest_file(conn, inbox / "hours.csv", AS_OF,
                       params=RULES).status == "refused"
    hours.to_parquet(inbox / "hours_declared.parquet")
    result = ingest_file(conn, inbox / "hours_declared.parquet", AS_OF,
                         params=RULES, kind="forecast")
    assert (result.status, result.rows_accepted) == ("ingested", 6)
