"""A corpus of bad input files, each with one specific outcome, for SCADA and forecast.

Every file is built in tmp_path from a small good table. An outcome is either
``Rejected(rule, n)``: those rows go to the rejected table with the rule, are
counted, and the good rows are kept; or ``Refused(column, rule)``: the run stops
with a ContractError naming the file, the column and the rule. Either way the raw
file is left exactly as it was.
"""

import gzip
import io
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from kedro.framework.session import KedroSession
from kedro.framework.startup import bootstrap_project

from tests.project_copy import use_file_inputs
from windpower.contract import REQUIRED_COLUMNS, validate_rows
from windpower.datasets.files import RawInputDataset
from windpower.demo_farm import DemoFarm
from windpower.errors import ContractError
from windpower.pipelines.data_processing.nodes import validate_readings

pytestmark = pytest.mark.unit
PROJECT = Path(__file__).resolve().parents[1]
AS_OF = "2026-06-01T00:00:00Z"
GIB2 = 2 * 1024**3
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06"


@dataclass(frozen=True)
class Rejected:
    """Rows rejected with ``rule`` and counted (``n`` rows); good rows kept."""

    rule: str | None
    n: int = 0


@dataclass(frozen=True)
class Refused:
    """The run refused with a ContractError naming the column and the rule."""

    column: str
    rule: str


def good_table(kind: str) -> pd.DataFrame:
    """12 good rows: 2 turbines x 6 ten-minute steps, in January 2026."""
    stamps = pd.date_range("2026-01-01", periods=6, freq="10min", tz="UTC")
    frame = pd.DataFrame({
        "timestamp": np.repeat(stamps.strftime("%Y-%m-%dT%H:%M:%SZ"), 2),
        "turbine_id": ["T01", "T02"] * 6, "wind_speed": 8.0,
        "wind_direction": 180.0, "ambient_temperature": 5.0,
        "power_kw": 900.0, "pitch_angle": 0.0})
    return frame if kind == "scada" else frame[REQUIRED_COLUMNS["forecast"]]


def fleet() -> pd.DataFrame:
    return pd.DataFrame({"turbine_id": ["T01", "T02"], "rated_power_kw": 2000.0,
                         "hub_height_m": 90.0, "rotor_diameter_m": 100.0})


def _set(column: str, rows: list[int], value) -> Callable:
    def edit(frame: pd.DataFrame) -> pd.DataFrame:
        out = frame.astype({column: object})
        out.loc[rows, column] = value
        return out
    return edit


def _csv(edit: Callable) -> Callable[[pd.DataFrame, Path], None]:
    return lambda frame, path: edit(frame).to_csv(path, index=False)


def _bytes(content: bytes) -> Callable[[pd.DataFrame, Path], None]:
    return lambda frame, path: path.write_bytes(content)


def _sparse(header: str) -> Callable[[pd.DataFrame, Path], None]:
    """A 2 GiB file: a header line, then a hole (zeros), then one byte."""
    def write(frame: pd.DataFrame, path: Path) -> None:
        with path.open("wb") as fh:
            fh.write(header.encode() + b"\n")
            fh.seek(GIB2 - 1)
            fh.write(b"\n")
    return write


def _mixed_zones(frame: pd.DataFrame) -> pd.DataFrame:
    """Same instants written as +02:00, naive and Z; one row repeats an instant."""
    out = frame.copy()
    stamps = pd.to_datetime(out["timestamp"], utc=True)
    out.loc[0:3, "timestamp"] = stamps[0:4].dt.tz_convert("Etc/GMT-2").map(
        pd.Timestamp.isoformat)
    out.loc[4:7, "timestamp"] = stamps[4:8].dt.strftime("%Y-%m-%d %H:%M:%S")
    again = out.iloc[[0]].assign(timestamp=stamps[0].isoformat())
    return pd.concat([out, again], ignore_index=True)


def _zip(frame: pd.DataFrame, path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("scada.csv", frame.to_csv(index=False))
    path.write_bytes(buffer.getvalue())


def _noise(n: int = 4096) -> bytes:
    return np.random.default_rng(0).integers(0, 256, n, dtype=np.uint8).tobytes()


def _parquet(frame: pd.DataFrame, path: Path) -> None:
    frame.to_parquet(path, index=False)


BOTH = ("scada", "forecast")
REFUSED_NO_ROWS = Refused("*", r"file holds no rows \(header only\)")
# (case, file name, writer, {kind: outcome}); one outcome per kind it applies to.
CORPUS = [
    ("good_file", "x.csv", _csv(lambda f: f), dict.fromkeys(BOTH, Rejected(None))),
    ("good_file_gzip", "x.csv.gz", _csv(lambda f: f),
     dict.fromkeys(BOTH, Rejected(None))),
    ("missing_column", "x.csv", _csv(lambda f: f.drop(columns="wind_speed")),
     dict.fromkeys(BOTH, Refused("wind_speed", "required column is missing"))),
    ("extra_columns", "x.csv",
     _csv(lambda f: f.assign(nacelle_temp=30.0, comment="ok")),
     dict.fromkeys(BOTH, Rejected(None))),
    ("wrong_type_some_rows", "x.csv", _csv(_set("wind_speed", [1, 2], "fast")),
     dict.fromkeys(BOTH, Rejected("non_numeric_wind_speed", 2))),
    ("wrong_type_whole_column", "x.csv",
     _csv(_set("wind_speed", list(range(12)), "8,5")),
     dict.fromkeys(BOTH, Refused("wind_speed", "no valid rows: all 12 rows rejected"
                                 ", 12 by rule 'non_numeric_wind_speed'"))),
    ("unparsable_timestamp", "x.csv", _csv(_set("timestamp", [0], "yesterday")),
     dict.fromkeys(BOTH, Rejected("unparsable_timestamp", 1))),
    ("empty_file_0_bytes", "x.csv", _bytes(b""),
     dict.fromkeys(BOTH, Refused("*", r"file is empty \(0 bytes\)"))),
    ("empty_parquet_0_bytes", "x.parquet", _bytes(b""),
     dict.fromkeys(BOTH, Refused("*", r"file is empty \(0 bytes\)"))),
    ("header_only", "x.csv", _csv(lambda f: f.iloc[:0]),
     dict.fromkeys(BOTH, REFUSED_NO_ROWS)),
    ("header_only_parquet", "x.parquet", lambda f, p: _parquet(f.iloc[:0], p),
     dict.fromkeys(BOTH, REFUSED_NO_ROWS)),
    ("all_nan_column", "x.csv", _csv(lambda f: f.assign(ambient_temperature=None)),
     dict.fromkeys(BOTH, Refused("ambient_temperature",
                                 r"column holds no values \(all missing\)"))),
    ("duplicate_timestamp_turbine", "x.csv",
     _csv(lambda f: pd.concat([f, f.iloc[[3, 4]]])),
     dict.fromkeys(BOTH, Rejected("duplicate_timestamp_turbine", 2))),
    ("mixed_time_zones", "x.csv", _csv(_mixed_zones),
     dict.fromkeys(BOTH, Rejected("duplicate_timestamp_turbine", 1))),
    ("future_timestamps", "x.csv", _csv(_set("timestamp", [10, 11],
                                             "2030-01-01T00:00:00Z")),
     {"scada": Rejected("future_timestamp", 2), "forecast": Rejected(None)}),
    ("past_timestamps", "x.csv", _csv(_set("timestamp", [10, 11],
                                           "2020-01-01T00:00:00Z")),
     dict.fromkeys(BOTH, Rejected(None))),
    ("negative_wind_speed", "x.csv", _csv(_set("wind_speed", [0], -2.0)),
     dict.fromkeys(BOTH, Rejected("out_of_range_wind_speed", 1))),
    ("direction_outside_0_360", "x.csv",
     _csv(lambda f: _set("wind_direction", [1], -5.0)(f).pipe(
         _set("wind_direction", [2], 361.0))),
     dict.fromkeys(BOTH, Rejected("out_of_range_wind_direction", 2))),
    ("power_above_1_2_rated", "x.csv", _csv(_set("power_kw", [5], 2500.0)),
     {"scada": Rejected("out_of_range_power_kw", 1)}),
    ("unknown_turbine", "x.csv", _csv(_set("turbine_id", [0, 1], "T99")),
     dict.fromkeys(BOTH, Rejected("unknown_turbine", 2))),
    ("2gib_sparse_wrong_header", "x.csv", _sparse("time,id,speed,dir,temp,kw"),
     dict.fromkeys(BOTH, Refused("timestamp", "required column is missing"))),
    ("2gib_sparse_good_header", "x.csv",
     _sparse(",".join(REQUIRED_COLUMNS["scada"])),
     dict.fromkeys(BOTH, Refused("*", "file is binary, not CSV text"))),
    ("png_named_csv", "x.csv", _bytes(PNG + _noise(256)),
     dict.fromkeys(BOTH, Refused("*", "file is a PNG image, not CSV text"))),
    ("zip_named_csv", "x.csv", _zip,
     dict.fromkeys(BOTH, Refused("*", "file is a zip archive, not CSV text"))),
    ("gzip_of_binary_named_csv", "x.csv", _bytes(gzip.compress(_noise())),
     dict.fromkeys(BOTH, Refused("*", "file is binary, not CSV text"))),
    ("parquet_named_csv", "x.csv", _parquet,
     dict.fromkeys(BOTH, Refused("*", "file is a Parquet file, not CSV text"))),
    ("random_bytes_csv", "x.csv", _bytes(_noise()),
     dict.fromkeys(BOTH, Refused("*", "file is binary, not CSV text"))),
    ("csv_named_parquet", "x.parquet", _csv(lambda f: f),
     dict.fromkeys(BOTH, Refused("*", "file is not a readable table \\(Parquet"))),
    ("duplicate_column_in_header", "x.csv",
     lambda f, p: p.write_text(f.to_csv(index=False).replace(
         "wind_direction", "wind_speed", 1)),
     dict.fromkeys(BOTH, Refused("wind_speed", "more than once in the header"))),
    ("ragged_row", "x.csv",
     lambda f, p: p.write_text(f.to_csv(index=False) + "2026-01-01,T01,1,2,3,4,5,6\n"),
     dict.fromkeys(BOTH, Refused("*", "file is not a readable table.*Expected"))),
]
CASES = [pytest.param((name, file, write, kind, outcome), id=f"{kind}-{name}")
         for name, file, write, outcomes in CORPUS
         for kind, outcome in outcomes.items()]


def fingerprint(path: Path) -> tuple:
    """Size, mtime and content (first MiB for huge files) of the raw file."""
    stat = path.stat()
    with path.open("rb") as fh:
        head = fh.read(1024**2)
    return stat.st_size, stat.st_mtime_ns, head


def configured_params() -> dict:
    """data_processing's parameters as configured (conf/base), at a fixed as_of."""
    path = PROJECT / "conf" / "base" / "parameters_data_processing.yml"
    return yaml.safe_load(path.read_text())["data_processing"] | {"as_of": AS_OF}


def run_validation(path: Path, kind: str) -> tuple:
    """Load the file as the pipeline does, then run the kind's validation node."""
    params = configured_params()
    raw = RawInputDataset(filepath=str(path), kind=kind).load()
    node = validate_readings if kind == "scada" else partial(validate_rows,
                                                             kind="forecast")
    return node(raw, fleet(), params)


def outcome_of(name: str, file: str, write: Callable, kind: str, root: Path
               ) -> tuple[Path, str, object]:
    """Build the case's file and run it; returns (path, summary, result/error)."""
    path = root / f"{kind}_{name}_{file}"
    write(good_table(kind), path)
    try:
        valid, rejected, report = run_validation(path, kind)
    except ContractError as exc:
        return path, f"run refused: {exc}", exc
    rules = ", ".join(f"{r} x{n}" for r, n in report["rejected"].items())
    summary = (f"rows rejected: {rules}; {report['rows_valid']} good rows used"
               if rules else f"accepted: all {report['rows_valid']} rows used")
    if report["ignored_columns"]:
        summary += f"; ignored columns {report['ignored_columns']} (logged)"
    return path, summary, (valid, rejected, report)


@pytest.mark.parametrize("case", CASES)
def test_bad_input_case_has_its_outcome(tmp_path, case):
    name, file, write, kind, outcome = case
    path = tmp_path / f"{name}_{file}"
    write(good_table(kind), path)
    before = fingerprint(path)
    if isinstance(outcome, Refused):
        with pytest.raises(ContractError) as info:
            run_validation(path, kind)
        error = info.value
        assert (error.source, error.column) == (str(path), outcome.column)
        assert re.search(outcome.rule, error.rule), error.rule
        assert str(path) in str(error) and f"'{outcome.column}'" in str(error)
    else:
        valid, rejected, report = run_validation(path, kind)
        expected = {outcome.rule: outcome.n} if outcome.rule else {}
        assert report["rejected"] == expected
        assert (rejected["rejection_rule"] == outcome.rule).all()
        assert len(valid) == report["rows_valid"] == report["rows_total"] - outcome.n
        assert len(valid) >= 10  # the good rows of a partly bad file are used
        assert list(valid.columns[:2]) == ["timestamp", "turbine_id"]
        assert str(valid["timestamp"].dt.tz) == "UTC"
    assert fingerprint(path) == before  # the raw file is never modified


def test_bad_input_extra_columns_are_ignored_and_reported(tmp_path):
    path = tmp_path / "scada.csv"
    good_table("scada").assign(nacelle_temp=30.0, comment="ok").to_csv(path,
                                                                      index=False)
    valid, _, report = run_validation(path, "scada")
    assert report["ignored_columns"] == ["nacelle_temp", "comment"]
    assert "nacelle_temp" not in valid.columns and "pitch_angle" in valid.columns


def test_bad_input_mixed_time_zones_are_converted_to_utc(tmp_path):
    path = tmp_path / "scada.csv"
    _csv(_mixed_zones)(good_table("scada"), path)
    valid, _, _ = run_validation(path, "scada")
    expected = pd.to_datetime(good_table("scada")["timestamp"], utc=True)
    assert sorted(valid["timestamp"]) == sorted(expected)


# Run in a fresh process: this one's peak memory (ru_maxrss) was set by earlier
# tests and would hide any growth. A small good file first sets the baseline. The
# bytes read through system calls (rchar of /proc/self/io) say how much of the
# file was read: its speed follows from that (timings live in benchmarks).
_MEASURE = """
import json, resource, sys
from pathlib import Path
from tests.test_bad_input import ContractError, good_table, run_validation
def read_bytes():
    for line in Path("/proc/self/io").read_text().splitlines():
        if line.startswith("rchar:"):
            return int(line.split()[1])
good = Path(sys.argv[2])
good_table("scada").to_csv(good, index=False)
run_validation(good, "scada")
before, read_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, read_bytes()
try:
    run_validation(Path(sys.argv[1]), "scada")
    error = None
except ContractError as exc:
    error = str(exc)
Path(sys.argv[3]).write_text(json.dumps({
    "read_bytes": read_bytes() - read_before, "error": error,
    "grown_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before}))
"""


def test_bad_input_2gib_file_refused_by_its_header_without_reading_it(tmp_path):
    path = tmp_path / "huge.csv"
    _sparse("time,id,speed")(None, path)
    assert path.stat().st_size == GIB2
    out = tmp_path / "measured.json"
    subprocess.run([sys.executable, "-c", _MEASURE, str(path),
                    str(tmp_path / "good.csv"), str(out)],
                   cwd=PROJECT, capture_output=True, timeout=300, check=True)
    result = json.loads(out.read_text())
    assert re.search("huge.csv.*'timestamp'.*missing", result["error"] or "")
    grown_mib = result["grown_kib"] / 1024
    assert grown_mib < 50, f"peak memory grew by {grown_mib:.0f} MiB"
    # Its first 64 KiB (the header), not its 2 GiB.
    assert result["read_bytes"] < 1024**2, f"read {result['read_bytes']} bytes"
    assert os.stat(path).st_blocks * 512 < 1024**2  # still sparse: nothing written


@pytest.fixture
def project(tmp_path, monkeypatch, mlflow_store) -> Path:
    """A copy of the project (real conf/base) with small turbine and forecast files."""
    root = tmp_path / "project"
    shutil.copytree(PROJECT / "conf" / "base", root / "conf" / "base")
    (root / "conf" / "local").mkdir()
    (root / "src").mkdir()  # the package itself is installed
    shutil.copy(PROJECT / "pyproject.toml", root / "pyproject.toml")
    use_file_inputs(root / "conf" / "base" / "catalog.yml")  # the files, not Postgres
    frames = DemoFarm(seed=5, n_turbines=3).dataset("2026-02-01T00:00Z", days=10,
                                                    forecast_hours=6)
    frames["turbines"].to_csv(tmp_path / "turbines.csv", index=False)
    frames["scada"].to_csv(tmp_path / "scada_generated.csv", index=False)
    monkeypatch.setenv("TURBINES_PATH", str(tmp_path / "turbines.csv"))
    monkeypatch.setenv("FORECAST_PATH", str(tmp_path / "forecast.csv"))
    monkeypatch.setenv("KEDRO_DISABLE_TELEMETRY", "1")
    bootstrap_project(root)
    return root


def _run(root: Path, pipeline: str) -> None:
    with KedroSession.create(project_path=root) as session:
        session.run(pipeline_names=[pipeline])


def test_pipeline_partly_bad_scada_uses_good_rows(project, tmp_path, monkeypatch):
    scada = pd.read_csv(tmp_path / "scada_generated.csv", dtype={"turbine_id": str})
    scada.loc[:4, "timestamp"] = "2099-01-01T00:00:00Z"
    scada.loc[5:7, "turbine_id"] = "T99"
    path = tmp_path / "scada.csv.gz"
    scada.assign(comment="from the field").to_csv(path, index=False)
    monkeypatch.setenv("SCADA_PATH", str(path))
    before = fingerprint(path)
    _run(project, "data_processing")
    assert fingerprint(path) == before
    # Versioned: data_quality_report.json/<run's version>/data_quality_report.json
    (report_file,) = [p for p in tmp_path.rglob("data_quality_report.json")
                      if p.is_file()]
    report = json.loads(report_file.read_text())
    assert report["rejected"]["future_timestamp"] == 5
    assert report["rejected"]["unknown_turbine"] >= 3
    assert report["rows_valid"] + report["rows_rejected"] == len(scada)
    assert report["rows_valid"] > 0.9 * len(scada)
    assert report["ignored_columns"] == ["comment"]
    rejected = pd.read_parquet(next(tmp_path.rglob("rejected_readings.parquet")))
    assert (rejected["rejection_rule"] == "future_timestamp").sum() == 5


def test_pipeline_refuses_2gib_scada_by_its_header(project, tmp_path, monkeypatch):
    path = tmp_path / "huge_scada.csv"
    _sparse("time,id,speed,dir,temp,kw")(None, path)
    monkeypatch.setenv("SCADA_PATH", str(path))
    with pytest.raises(ContractError) as info:
        _run(project, "data_processing")
    assert str(info.value) == (
        f"data contract broken in file '{path}': column 'timestamp': required "
        "column is missing (header: time, id, speed, dir, temp, kw)")


def test_pipeline_refuses_forecast_that_is_a_png(project, tmp_path):
    (tmp_path / "forecast.csv").write_bytes(PNG + _noise(256))
    with pytest.raises(ContractError, match="forecast.csv.*'[*]'.*PNG image"):
        _run(project, "inference")  # refused before the champion is even looked up
