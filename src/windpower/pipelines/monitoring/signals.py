"""Daily per-turbine degradation signals over a rolling look-back, and hysteresis.

Every signal is a ratio of two sums, so it is computed from per-(day, turbine)
sums rolled over ``lookback`` days: one pass over the rows, whatever the window.
The state of each detector is replayed over the days of the window, so it needs
no storage and a re-run at the same ``as_of`` gives the same answer.
"""

import numpy as np
import pandas as pd

from windpower.drift import BINS


def daily_index(days: pd.Series, as_of_day: pd.Timestamp) -> pd.DatetimeIndex:
    """Every day from the first day with data to ``as_of_day`` (UTC midnights)."""
    first = days.min() if len(days) else as_of_day
    return pd.date_range(min(first, as_of_day), as_of_day, freq="D")


def rolling_sums(frame: pd.DataFrame, columns: list[str], days: pd.DatetimeIndex,
                 lookback: int) -> dict[str, pd.DataFrame]:
    """Per column, a (day x turbine) table of sums over the last ``lookback`` days.

    Args:
        frame: Rows with ``day`` (UTC midnight), ``turbine_id`` and ``columns``.
        columns: Columns to sum (use a column of ones to count).
        days: The days to report (from ``daily_index``).
        lookback: Days in each rolling sum, the day itself included.
    """
    sums = frame.groupby(["day", "turbine_id"])[columns].sum().unstack("turbine_id")
    out = {}
    for column in columns:
        table = sums[column] if len(sums) else pd.DataFrame(index=days)
        table = table.reindex(days, fill_value=0.0).fillna(0.0)
        out[column] = table.rolling(lookback, min_periods=1).sum()
    return out


def hysteresis(signal: np.ndarray, samples: np.ndarray, enter: float, clear: float,
               min_samples: int) -> np.ndarray:
    """Detector state per step: on at ``signal >= enter``, off only below ``clear``.

    A step with fewer than ``min_samples`` samples (or no signal) neither sets nor
    clears the state: too little evidence never fires, and a quiet day does not
    silence a real fault.
    """
    states = np.zeros(len(signal), dtype=bool)
    on = False
    for i, (value, n) in enumerate(zip(signal, samples, strict=True)):
        if n >= min_samples and not np.isnan(value):
            on = value >= clear if on else value >= enter
        states[i] = on
    return states


def psi(live: np.ndarray, reference: np.ndarray, epsilon: float) -> float:
    """Population stability index of two histograms (counts on the same bins)."""
    if live.sum() == 0 or reference.sum() == 0:
        return float("nan")
    p = np.maximum(live / live.sum(), epsilon)
    q = np.maximum(reference / reference.sum(), epsilon)
    return float(np.sum((p - q) * np.log(p / q)))


def drift_signals(histograms: pd.DataFrame, days: pd.DatetimeIndex,
                  reference: dict[str, dict[str, list[int]]], params: dict
                  ) -> dict[str, tuple[pd.DataFrame, pd.DataFrame]]:
    """Per variable, (PSI, live samples) tables (day x turbine).

    Args:
        histograms: ``turbine_id``, ``day``, ``variable``, ``bin``, ``n``: daily
            histograms of the live readings.
        days: Days to report.
        reference: From ``wind_histograms`` over the champion's training data.
        params: ``lookback_days`` and ``drift.epsilon``.
    """
    out = {}
    for variable, rows in histograms.groupby("variable"):
        counts = rows.pivot_table(index="day", columns=["turbine_id", "bin"],
                                  values="n", aggfunc="sum", fill_value=0)
        live = counts.reindex(days, fill_value=0).rolling(
            params["lookback_days"], min_periods=1).sum()
        bins = BINS[str(variable)]
        values, samples = {}, {}
        for turbine in counts.columns.get_level_values(0).unique():
            lv = live[turbine].reindex(columns=range(bins), fill_value=0).to_numpy(
                float)
            rv = np.asarray(reference.get(str(variable), {}).get(turbine, [0] * bins),
                            dtype=float)
            values[turbine] = [psi(r, rv, params["drift"]["epsilon"]) for r in lv]
            samples[turbine] = lv.sum(axis=1) if rv.sum() else np.zeros(len(lv))
        out[str(variable)] = (pd.DataFrame(values, index=days),
                              pd.DataFrame(samples, index=days))
    return out
