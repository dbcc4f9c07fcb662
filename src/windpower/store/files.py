"""What an input file is: its kind (from the header), its checksum, its rows."""

import hashlib
from pathlib import Path

import pandas as pd

from windpower.datasets.files import read_table
from windpower.datasets.preflight import csv_header, parquet_columns
from windpower.errors import ContractError

_PARQUET = (".parquet", ".pq")
_CSV = (".csv", ".csv.gz", ".gz")


def detect_kind(path: Path) -> str:
    """``scada`` (has power_kw), ``turbines`` (rated_power_kw) or ``forecast``.

    Raises:
        ContractError: not a table, or a header that fits no kind.
    """
    name = path.name.lower()
    if name.endswith(_PARQUET):
        columns = parquet_columns(path, [])
    elif name.endswith(_CSV):
        columns = csv_header(path, [])[0]
    else:
        raise ContractError(str(path), "*", "file type must be .csv, .csv.gz "
                            "or .parquet")
    if "power_kw" in columns:
        return "scada"
    if "rated_power_kw" in columns:
        return "turbines"
    if "wind_speed" in columns:
        return "forecast"
    raise ContractError(str(path), "*", "header fits no kind: expected power_kw "
                        "(SCADA), rated_power_kw (turbines) or wind_speed "
                        "(weather forecast)")


def file_digest(path: Path) -> tuple[str, int]:
    """SHA-256 (hex) and size of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return digest.hexdigest(), path.stat().st_size


def read_rows(path: Path, kind: str) -> pd.DataFrame:
    """The contract columns, plus a forecast's own ``issued_at`` when it has one."""
    raw = read_table(path, kind)
    if kind == "forecast" and "issued_at" in raw.attrs.get("ignored_columns", []):
        extra = (pd.read_parquet(path, columns=["issued_at"])
                 if path.name.lower().endswith(_PARQUET)
                 else pd.read_csv(path, usecols=["issued_at"], dtype=str))
        raw = raw.assign(issued_at=extra["issued_at"].to_numpy())
        raw.attrs["ignored_columns"] = [
            c for c in raw.attrs["ignored_columns"] if c != "issued_at"]
    return raw
