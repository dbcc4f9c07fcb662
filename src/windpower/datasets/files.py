"""File datasets: contract inputs (CSV, CSV.gz or Parquet), tables, pickles, JSON."""

import json
import logging
import os
import pickle
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


def read_table(path: Path, kind: str | None = None) -> pd.DataFrame:
    """Read CSV (gzip allowed) or Parquet by extension; contract errors name the file.

    With a contract ``kind``, the header is checked first (a wrong file is refused
    without being read whole) and only the contract columns are read; extra
    columns are ignored, logged and listed in ``attrs["ignored_columns"]``.

    Raises:
        ContractError: unsupported extension, empty file, not a table, or (with
            ``kind``) a required column missing.
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


def _read_contract(path: Path, kind: str | None, parquet: bool
                   ) -> tuple[pd.DataFrame, list[str]]:
    """Check the header (with a kind), then read only the contract columns."""
    if kind is None:
        return _read(path, parquet, None, "infer"), []
    required = REQUIRED_COLUMNS[kind]
    known = required + OPTIONAL_COLUMNS[kind]
    if parquet:
        columns, compression = parquet_columns(path, required), None
    else:
        columns, compression = csv_header(path, required)
    wanted = list(dict.fromkeys(c for c in columns if c in known))
    ignored = [c for c in columns if c not in known]
    return _read(path, parquet, wanted, compression), ignored


def _read(path: Path, parquet: bool, columns: list[str] | None,
          compression: str | None) -> pd.DataFrame:
    if parquet:
        return pd.read_parquet(path, columns=columns)
    # All columns, then select: with usecols pandas would silently accept a row
    # with too many fields (a shifted row); without it, such a file is refused.
    frame = pd.read_csv(path, compression=compression, dtype={"turbine_id": str},
                        low_memory=False)
    return frame if columns is None else frame[columns]


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
            return read_table(self._path, self._kind)
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


class TableDataset(AbstractDataset[pd.DataFrame, pd.DataFrame]):
    """An intermediate table stored as Parquet (or CSV by extension)."""

    def __init__(self, filepath: str):
        self._path = Path(filepath)

    def load(self) -> pd.DataFrame:
        return read_table(self._path)

    def save(self, data: pd.DataFrame) -> None:
        write_table(data, self._path)

    def _exists(self) -> bool:
        return self._path.exists()

    def _describe(self) -> dict[str, Any]:
        return {"filepath": str(self._path)}


class PickleDataset(AbstractDataset[Any, Any]):
    """Any Python object, pickled (our own artifacts only)."""

    def __init__(self, filepath: str):
        self._path = Path(filepath)

    def load(self) -> Any:
        with self._path.open("rb") as fh:
            return pickle.load(fh)  # noqa: S301, written by this project

    def save(self, data: Any) -> None:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        with self._path.open("wb") as fh:
            pickle.dump(data, fh)

    def _exists(self) -> bool:
        return self._path.exists()

    def _describe(self) -> dict[str, Any]:
        return {"filepath": str(self._path)}


class JSONDataset(PickleDataset):
    """A JSON document (reports, summaries)."""

    def load(self) -> Any:
        return json.loads(self._path.read_text())

    def save(self, data: Any) -> None:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        self._path.write_text(json.dumps(data, indent=2, default=str))
