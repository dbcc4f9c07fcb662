"""What an input file is: its kind (from the header), its checksum, its rows."""

import hashlib
from pathlib import Path

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
