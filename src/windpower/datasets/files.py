"""The contract input file as a Kedro dataset (read-only).

Intermediate tables, models and reports are plain files: kedro-datasets' own
``pandas.ParquetDataset``, ``pickle.PickleDataset`` and ``json.JSONDataset``.
"""

import logging
import os
from pathlib import Path
from typing import Any

import pandas as pd
from kedro.io import AbstractDataset, DatasetError

from windpower.contract.files import read_rows, write_table
from windpower.errors import ContractError

logger = logging.getLogger(__name__)


class RawInputDataset(AbstractDataset[pd.DataFrame, pd.DataFrame]):
    """A contract input file (read-only); generated when the default path is empty.

    Args:
        filepath: Where the file is (``${env:SCADA_PATH,...}``); relative paths are
            relative to the project root (the working directory of a Kedro run).
        kind: ``scada``, ``turbines`` or ``forecast``.
        generate_if_missing: True when ``filepath`` is the default (its variable is
            unset): then a missing file is generated; otherwise it is an error.
        generator: What to generate: the demo farm (``seed``, ``n_turbines``,
            ``fault``, as in the ``ingest.demo_farm`` parameters), the ``days`` of
            history before now (default 365) and ``forecast_hours`` (default 48).
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
        from windpower.demo_farm import demo_farm_from_params  # noqa: PLC0415, lazy: rare

        logger.info("generating default %s data at %s", self._kind, self._path)
        frames = demo_farm_from_params(self._generator).dataset(
            end=pd.Timestamp.now(tz="UTC"), days=int(self._generator.get("days", 365)),
            forecast_hours=int(self._generator.get("forecast_hours", 48)))
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
