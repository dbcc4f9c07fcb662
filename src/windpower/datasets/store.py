"""Kedro datasets over the Postgres record (``windpower.store``).

Every flow reads its inputs from, and writes its outputs to, the database named by
``$WINDPOWER_DB_URL``, so a run behaves the same on any host that reaches it.
``as_of`` (ISO time, None: now) bounds what a run may see, so a replay or a test
can run at any simulated time; ``site`` is the one wind farm a run reads.
"""

from __future__ import annotations

import logging
from typing import Any

import pandas as pd
from kedro.io import AbstractDataset, DatasetError

from windpower.clock import run_time
from windpower.store import connect
from windpower.store.readers import (
    history_end,
    latest_weather_forecast,
    read_readings,
    read_turbines,
    read_weather_forecasts,
)

logger = logging.getLogger(__name__)


class _StoreDataset(AbstractDataset[pd.DataFrame, pd.DataFrame]):
    """Shared connection handling; subclasses implement ``_read``."""

    table = ""

    def __init__(self, site: str, as_of: str | None = None,
                 url_env: str = "WINDPOWER_DB_URL", retries: int = 5,
                 backoff: float = 1.0):
        self._site, self._as_of, self._url_env = site, as_of, url_env
        self._retries, self._backoff = retries, backoff

    def _connect(self):
        return connect(self._url_env, retries=self._retries, backoff=self._backoff)

    def load(self) -> pd.DataFrame:
        conn = self._connect()
        try:
            frame = self._read(conn, run_time(self._as_of))
        finally:
            conn.close()
        frame.attrs["source"] = f"postgres:{self.table}"
        return frame

    def _read(self, conn, as_of: pd.Timestamp) -> pd.DataFrame:
        raise NotImplementedError

    def save(self, data: pd.DataFrame) -> None:
        raise DatasetError(f"{type(self).__name__} is read-only: the ingest flow "
                           f"writes {self.table}")

    def _describe(self) -> dict[str, Any]:
        return {"table": self.table, "site": self._site, "as_of": self._as_of}


def training_end(conn, site: str, as_of: pd.Timestamp) -> pd.Timestamp:
    """Where a training window ends: ``as_of``, or, for a history that ended more
    than a day before it (your own data, loaded once), just after its newest
    reading: the newest window the data has, said in the log."""
    end = history_end(conn, site, as_of)
    if end is None:
        return as_of
    logger.warning("the newest reading is from %s, long before %s: training on "
                   "the window before it (give as_of to choose another end)",
                   end, as_of)
    return end


class TurbinesDataset(_StoreDataset):
    """The turbines that existed at ``as_of`` (``read_turbines``)."""

    table = "turbines"

    def _read(self, conn, as_of: pd.Timestamp) -> pd.DataFrame:
        return read_turbines(conn, self._site, as_of)


class _TrainingWindowDataset(_StoreDataset):
    """Rows of the ``window_days`` before the training window's end
    (``training_end``), read by ``_read_window(conn, start, end)``."""

    def __init__(self, window_days: float = 365, **kwargs: Any):
        super().__init__(**kwargs)
        self._window = pd.Timedelta(days=float(window_days))

    def _read(self, conn, as_of: pd.Timestamp) -> pd.DataFrame:
        end = training_end(conn, self._site, as_of)
        frame = self._read_window(conn, self._site, end - self._window, end)
        logger.info("read %d rows of %s in the %s before %s", len(frame), self.table,
                    self._window, end)
        return frame


class ReadingsDataset(_TrainingWindowDataset):
    """``readings`` of the training window."""

    table = "readings"
    _read_window = staticmethod(read_readings)


class WeatherForecastArchiveDataset(_TrainingWindowDataset):
    """Every weather forecast issued in the training window, as issued: the
    forecaster's training data."""

    table = "weather_forecasts"
    _read_window = staticmethod(read_weather_forecasts)


class ReadingsBeforeDataset(_StoreDataset):
    """``readings`` of the ``hours`` before ``as_of``: what was measured when the
    newest forecast was issued."""

    table = "readings"

    def __init__(self, hours: float = 12, **kwargs: Any):
        super().__init__(**kwargs)
        self._span = pd.Timedelta(hours=float(hours))

    def _read(self, conn, as_of: pd.Timestamp) -> pd.DataFrame:
        return read_readings(conn, self._site, as_of - self._span, as_of)


class WeatherForecastDataset(_StoreDataset):
    """The newest weather forecast issued at or before ``as_of``."""

    table = "weather_forecasts"

    def _read(self, conn, as_of: pd.Timestamp) -> pd.DataFrame:
        frame = latest_weather_forecast(conn, self._site, as_of)
        if not frame.empty:
            logger.info("scoring the weather forecast issued at %s (%d rows)",
                        frame["issued_at"].iloc[0], len(frame))
        return frame
