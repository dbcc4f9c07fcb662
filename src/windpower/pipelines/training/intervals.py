"""Split-conformal prediction intervals: residual quantiles by turbine and wind bin.

Chosen over quantile models by measurement (benchmarks/accuracy.py): one more
fit of the point model at training, and at scoring only a table look-up per row,
where two quantile models would double or triple the trees scored.
"""

import numpy as np
import pandas as pd


def calibration_rows(timestamps: pd.Series, params: dict) -> np.ndarray:
    """Rows held out of the calibration fit: whole weeks, so that a row's
    neighbours (the batch features) are on its own side.

    ``last_weeks``: the latest weeks, forecast from the past as the served model
    forecasts; or ``every_nth_week``: out-of-sample weeks over all seasons.
    """
    stamps = pd.to_datetime(timestamps, utc=True).dt.tz_convert(None)
    weeks = stamps.to_numpy().astype("datetime64[ns]").view(np.int64) // (
        7 * 86_400 * 10**9)
    if params.get("last_weeks"):
        return weeks > weeks.max() - params["last_weeks"]
    every = params["every_nth_week"]
    return weeks % every == every - 1


def _bin_quantiles(residual: np.ndarray, bins: np.ndarray, n_bins: int,
                   levels: np.ndarray, min_rows: int, *, fallback: np.ndarray | None
                   ) -> np.ndarray:
    """``(n_bins, levels)`` residual quantiles; thin bins take ``fallback``'s row
    or, without one, the nearest populated bin's."""
    table = np.full((n_bins, len(levels)), np.nan)
    for b in range(n_bins):
        values = residual[bins == b]
        if len(values) >= min_rows:
            table[b] = np.quantile(values, levels, method="higher")
        elif fallback is not None:
            table[b] = fallback[b]
    ok = ~np.isnan(table[:, 0])
    if not ok.any():
        return np.zeros_like(table)
    for i in range(len(levels)):
        table[:, i] = np.interp(np.arange(n_bins), np.flatnonzero(ok), table[ok, i])
    return table


def fit_intervals(residual: np.ndarray, ws_norm: np.ndarray, code: np.ndarray,
                  n_turbines: int, params: dict) -> dict:
    """Conformal offsets from calibration residuals (fractions of rated power).

    Args:
        residual: Measured minus P50 power / rated, one per calibration row.
        ws_norm: Density-normalised wind of those rows.
        code: Turbine code of those rows (``0 .. n_turbines - 1``).
        n_turbines: Turbines in the lookup.
        params: ``levels``, ``bin_width``, ``max_wind``, ``min_bin_rows``.

    Returns:
        ``{"levels", "bin_width", "offsets"}``; ``offsets[code, bin, level]``,
        last code row for all turbines together (unknown turbines). Offsets are
        <= 0 below the median and >= 0 above it, so P10 <= P50 <= P90.
    """
    levels = np.sort(np.asarray(params["levels"], dtype=float))
    width = float(params["bin_width"])
    n_bins = int(params["max_wind"] // width) + 1
    bins = np.clip(np.nan_to_num(ws_norm) // width, 0, n_bins - 1).astype(int)
    args = (n_bins, levels, params["min_bin_rows"])
    pooled = _bin_quantiles(residual, bins, *args, fallback=None)
    per_turbine = [_bin_quantiles(residual[code == t], bins[code == t], *args,
                                  fallback=pooled) for t in range(n_turbines)]
    offsets = np.stack([*per_turbine, pooled])
    offsets = np.where(levels < 0.5, np.minimum(offsets, 0.0),
                       np.where(levels > 0.5, np.maximum(offsets, 0.0), 0.0))
    return {"levels": levels.tolist(), "bin_width": width,
            "offsets": np.sort(offsets, axis=-1)}
