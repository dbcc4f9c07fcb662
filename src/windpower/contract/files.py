"""Contract input files (CSV, CSV.gz or Parquet), checked before they are read."""

from pathlib import Path

import pandas as pd

from windpower.contract.header import CSV, PARQUET, csv_header, parquet_columns
from windpower.contract.rules import OPTIONAL_COLUMNS, REQUIRED_COLUMNS
from windpower.errors import ContractError

# A file may name its site in a column (else its inbox folder names it); the
# store checks it (windpower.store.ingest.site_of).
SITE_COLUMN = "site_id"


def read_rows(path: Path, kind: str) -> pd.DataFrame:
    """The contract columns, plus a forecast's own ``issued_at`` when it has one
    (a file of many issues is a forecast archive)."""
    raw = read_table(path, kind)
    if kind == "forecast" and "issued_at" in raw.attrs.get("ignored_columns", []):
        extra = (pd.read_parquet(path, columns=["issued_at"])
                 if path.name.lower().endswith(PARQUET)
                 else pd.read_csv(path, usecols=["issued_at"], dtype=str))
        raw = raw.assign(issued_at=extra["issued_at"].to_numpy())
        raw.attrs["ignored_columns"] = [
            c for c in raw.attrs["ignored_columns"] if c != "issued_at"]
    return raw


def read_table(path: Path, kind: str) -> pd.DataFrame:
    """Read a contract file, CSV (gzip allowed) or Parquet by extension.

    The header is checked first (a wrong file is refused without being read
    whole) and only the contract columns of ``kind`` are read; extra columns are
    ignored, logged and listed in ``attrs["ignored_columns"]``.

    Raises:
        ContractError: unsupported extension, empty file, not a table, or a
            required column missing; the error names the file.
    """
    name = path.name.lower()
    if not name.endswith(PARQUET + CSV):
        raise ContractError(str(path), "*", "file type must be .csv, .csv.gz "
                            "or .parquet")
    try:
        frame, ignored = _read_contract(path, kind, name.endswith(PARQUET))
    except ContractError:
        raise
    except pd.errors.EmptyDataError as exc:
        raise ContractError(str(path), "*", "file is empty") from exc
    except (pd.errors.ParserError, UnicodeDecodeError, OSError, ValueError,
            EOFError) as exc:
        detail = str(exc).strip()
        raise ContractError(str(path), "*", f"file is not a readable table ({detail})"
                            ) from exc
    frame.attrs |= {"source": str(path), "ignored_columns": ignored}
    return frame


def _read_contract(path: Path, kind: str, parquet: bool
                   ) -> tuple[pd.DataFrame, list[str]]:
    """Check the header, then read only the contract columns."""
    required = REQUIRED_COLUMNS[kind]
    known = required + OPTIONAL_COLUMNS[kind] + [SITE_COLUMN]
    if parquet:
        columns, compression = parquet_columns(path, required), None
    else:
        columns, compression = csv_header(path, required)
    wanted = list(dict.fromkeys(c for c in columns if c in known))
    ignored = [c for c in columns if c not in known]
    return _read(path, parquet, wanted, compression), ignored


def _read(path: Path, parquet: bool, columns: list[str],
          compression: str | None) -> pd.DataFrame:
    if parquet:
        return pd.read_parquet(path, columns=columns)
    # All columns, then select: with usecols pandas would silently accept a row
    # with too many fields (a shifted row); without it, such a file is refused.
    frame = pd.read_csv(path, compression=compression,
                        dtype={"turbine_id": str, SITE_COLUMN: str},
                        low_memory=False)
    return frame[columns]


def write_table(frame: pd.DataFrame, path: Path) -> None:
    """Write a frame as CSV (gzip allowed) or Parquet by extension."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.name.lower().endswith(PARQUET):
        frame.to_parquet(path, index=False)
    else:
        frame.to_csv(path, index=False)
