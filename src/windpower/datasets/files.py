"""Contract input files (CSV, CSV.gz or Parquet), checked before they are read.

Intermediate tables, models and reports are plain files: kedro-datasets' own
``pandas.ParquetDataset``, ``pickle.PickleDataset`` and ``json.JSONDataset``.
"""

import logging
import os
from pathlib import Path
from typing import Any

import pandas as pd
from kedro.io import AbstractDataset, DatasetError

from windpower.contract import OPTIONAL_COLUMNS, REQUIRED_COLUMNS
from windpower.datasets.preflight import csv_header, parquet_columns
from windpower.errors import ContractError

logger = logging.getLogger(__name__)
_CSV = (".csv", ".csv.gz", ".gz")
_PARQUET = (".parquet", ".pq")


def read_rows(path: Path, kind: str) -> pd.DataFrame:
    """The contract columns, plus a forecast's own ``issued_at`` when it has one
    (a file of many issues is a forecast archive)."""
    raw = read_table(path, kind)
    if kind == "forecast" and "issued_at" in raw.attrs.get("ignored_columns", []):
        extra = (pd.read_parquet(path, columns=["issued_at"])
                 if path.name.lower().endswith(_PARQUET)
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
    if not name.endswith(_PARQUET + _CSV):
        raise ContractError(str(path), "*", "file type must be .csv, .csv.gz "
                            "or .parquet")
    try:
        frame, ignored = _read_contract(path, kind, name.endswith(_PARQUET))
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
    known = required + OPTIONAL_COLUMNS[kind]
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
    frame = pd.read_csv(path, compression=compression, dtype={"turbine_id": str},
                        low_memory=False)
    return frame[columns]


def write_table(frame: pd.DataFrame, path: Path) -> None:
    """Write a frame as CSV (gzip allowed) or Parquet by extension."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.name.lower().endswith(_PARQUET):
        frame.to_parquet(path, index=False)
    else:
        frame.to_csv(path, index=False)


class RawInputDataset(AbstractDataset[pd.DataFrame, pd.DataFrame]):
    """A contract input file (read-only); generated when the default path is empty.

    Args:
        filepath: Where the file is (``${env:SCADA_PATH,...}``); relative paths are
            relative to the project root (the working directory of a Kedro run).
        kind: ``scada``, ``turbines`` or ``forecast``.
        generate_if_missing: True when ``filepath`` is the default (its variable is
            unset): then a missing file is generated; otherwise it is an error.
        generator: Keyword arguments for ``generate_dataset`` (seed, days, ...).
    """

    def __init__(self, filepath: str, kind: str, generate_if_missing: bool = False,
                 generator: dict[str, Any] | None = None):
        self._path = Path(filepath)
        self._kind = kind
        self._generate_if_missing = bool(generate_if_missing)
        self._generator = generator or {}

    def load(self) -> pd.DataFrame:
        if not self._path.exists() and self._generate_if_missing:
            self._generate()
        try:
            if not self._path.exists():
                raise ContractError(str(self._path), "*", "file does not exist")
            return read_rows(self._path, self._kind)
        except ContractError as exc:
            # Hand the break to the validation node, which raises it unwrapped.
            frame = pd.DataFrame()
            frame.attrs["source"] = str(self._path)
            frame.attrs["contract_error"] = {"column": exc.column, "rule": exc.rule}
            return frame

    def _generate(self) -> None:
        from windpower.synthetic import generate_dataset  # noqa: PLC0415, lazy: rare

        end = pd.Timestamp.now(tz="UTC")
        logger.info("generating default %s data at %s", self._kind, self._path)
        frames = generate_dataset(end=end, **self._generator)
        # Write then rename, so a concurrent run never reads a half-written file.
        partial = self._path.with_name(f".{os.getpid()}.{self._path.name}")
        write_table(frames[self._kind], partial)
        os.replace(partial, self._path)

    def save(self, data: pd.DataFrame) -> None:
        raise DatasetError(f"raw input {self._path} is read-only")

    def _exists(self) -> bool:
        return self._path.exists()

    def _describe(self) -> dict[str, Any]:
        return {"filepath": str(self._path), "kind": self._kind}
