"""Pre-flight checks of a raw input file, from its first bytes and its header.

A file is refused before it is read whole (empty, binary, another format, a
required column missing), so a huge wrong file costs milliseconds and no memory.
"""

import csv
import gzip
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from windpower.contract.rules import REQUIRED_COLUMNS
from windpower.errors import ContractError

HEAD_BYTES = 64 * 1024
PARQUET = (".parquet", ".pq")
CSV = (".csv", ".csv.gz", ".gz")
_GZIP = b"\x1f\x8b"
_MAGIC = {b"\x89PNG": "a PNG image", b"PK\x03\x04": "a zip archive",
          b"PAR1": "a Parquet file", b"%PDF": "a PDF document",
          b"\xff\xd8\xff": "a JPEG image", b"BZh": "bzip2-compressed",
          b"\xfd7zXZ": "xz-compressed"}


def _refuse(path: Path, rule: str, column: str = "*") -> ContractError:
    return ContractError(str(path), column, rule)


def _head(path: Path) -> tuple[bytes, bool]:
    """The first bytes of the file (decompressed when gzip) and whether gzip."""
    if path.stat().st_size == 0:
        raise _refuse(path, "file is empty (0 bytes)")
    with path.open("rb") as fh:
        head = fh.read(HEAD_BYTES)
    gzipped = head.startswith(_GZIP)
    if gzipped:
        try:
            with gzip.open(path) as fh:
                head = fh.read(HEAD_BYTES)
        except (OSError, EOFError) as exc:
            raise _refuse(path, f"file is gzip but does not decompress ({exc})"
                          ) from exc
    for magic, what in _MAGIC.items():
        if head.startswith(magic):
            raise _refuse(path, f"file is {what}, not CSV text")
    return head, gzipped


def _check_text(path: Path, data: bytes, offset: int = 0) -> None:
    """Refuse NUL bytes and invalid UTF-8 (a cut character at the end is fine)."""
    if b"\x00" in data:
        at = offset + data.index(b"\x00")
        raise _refuse(path, f"file is binary, not CSV text (NUL byte at byte {at})")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(data) - 3:
            raise _refuse(path, "file is binary, not CSV text (invalid UTF-8 at "
                          f"byte {offset + exc.start})") from exc


def check_required(path: Path, columns: list[str], required: list[str]) -> None:
    """Refuse a header without a required column; name the column."""
    for column in required:
        if column not in columns:
            found = ", ".join(columns)[:120]
            raise _refuse(path, f"required column is missing (header: {found})",
                          column)
        if columns.count(column) > 1:
            raise _refuse(path, "column appears more than once in the header", column)


def csv_header(path: Path, required: list[str]) -> tuple[list[str], str | None]:
    """Columns and compression of a CSV file, from its first 64 KiB only.

    Raises:
        ContractError: empty, not text, another format, or a required column missing.
    """
    head, gzipped = _head(path)
    header, _, body = head.partition(b"\n")
    _check_text(path, header)
    text = header.decode("utf-8-sig").rstrip("\r")
    columns = next(csv.reader([text]), []) if text else []
    check_required(path, columns, required)
    _check_text(path, body, offset=len(header) + 1)
    return columns, "gzip" if gzipped else None


def parquet_columns(path: Path, required: list[str]) -> list[str]:
    """Columns of a Parquet file, from its footer only (the data is not read)."""
    if path.stat().st_size == 0:
        raise _refuse(path, "file is empty (0 bytes)")
    try:
        columns = pq.read_schema(path).names
    except (pa.ArrowException, OSError) as exc:
        raise _refuse(path, f"file is not a readable table (Parquet: {exc})") from exc
    check_required(path, columns, required)
    return columns


def columns_of(path: Path, required: list[str]) -> tuple[list[str], str | None]:
    """A CSV's or Parquet file's columns (and CSV compression), from its header.

    Raises:
        ContractError: an unsupported type, or the header's rules broken.
    """
    name = path.name.lower()
    if name.endswith(PARQUET):
        return parquet_columns(path, required), None
    if name.endswith(CSV):
        return csv_header(path, required)
    raise _refuse(path, "file type must be .csv, .csv.gz or .parquet")


def detect_kind(path: Path, declared: str | None = None) -> str:
    """The file's kind: the one the user declared, or one its header leaves no
    doubt about.

    Declared (``SCADA_PATH``, an inbox folder per kind, ...), the header must
    hold that kind's required columns. Guessed: ``power_kw`` is SCADA,
    ``rated_power_kw`` a turbine table, ``issued_at`` a weather forecast. Wind
    columns without any of these could be SCADA missing ``power_kw`` or a
    forecast without its issue time: refused, never stored as the wrong kind
    (a guessed kind would poison the models that learn from it).

    Raises:
        ContractError: not a table, a declared kind's column missing, or a header
            that fits no kind or more than one.
    """
    if declared is not None:
        columns_of(path, REQUIRED_COLUMNS[declared])
        return declared
    columns, _ = columns_of(path, [])
    if "power_kw" in columns:
        kind = "scada"
    elif "rated_power_kw" in columns:
        kind = "turbines"
    elif "issued_at" in columns:
        kind = "forecast"
    elif "wind_speed" in columns:
        raise _refuse(path, "required column is missing: without power_kw this is "
                      "not SCADA, and without issued_at not a weather forecast; "
                      "name the kind (SCADA_PATH, FORECAST_PATH or inbox/<kind>/)",
                      "power_kw")
    else:
        raise _refuse(path, "header fits no kind: expected power_kw (SCADA), "
                      "rated_power_kw (turbines) or issued_at (weather forecast)")
    check_required(path, columns, REQUIRED_COLUMNS[kind])
    return kind
