"""The forecaster: power from the weather forecast as issued.

It learns what it will be asked: each forecast row as it was issued, its lead time
and what was measured at issue time, against the power measured at its target
time. The binned curve (fitted on measured wind) is its baseline; the trees learn
the deviation, which now holds the weather model's own errors: its level against
the hub anemometer, its smoothed peaks, its direction-dependent bias.
"""

import logging

import numpy as np
import pandas as pd

from windpower.forecast_model import (
    AT_ISSUE_COLUMNS,
    AT_ISSUE_FEATURES,
    forecast_columns,
    lead_band,
)
from windpower.pipelines.training.estimators import fit_estimator, held_out_residuals
from windpower.pipelines.training.intervals import calibration_rows, fit_intervals

logger = logging.getLogger(__name__)


def whole_issues(pairs: pd.DataFrame, max_rows: int) -> pd.DataFrame:
    """At most ``max_rows`` rows, as whole issues spread evenly over the window
    (a forecast's features need its neighbours)."""
    if len(pairs) <= max_rows:
        return pairs
    issues = np.sort(pairs["issued_at"].unique())
    keep = max(1, int(len(issues) * max_rows / len(pairs)))
    chosen = issues[np.linspace(0, len(issues) - 1, keep).round().astype(int)]
    return pairs.loc[pairs["issued_at"].isin(chosen)]


def blank_at_issue(pairs: pd.DataFrame, share: float, seed: int) -> pd.DataFrame:
    """A copy with the at-issue measurements removed from ``share`` of the issues:
    the forecaster must also answer from a weather-model archive alone."""
    issues = pairs["issued_at"].unique()
    rng = np.random.default_rng(seed)
    blanked = issues[rng.random(len(issues)) < share]
    hit = pairs["issued_at"].isin(blanked).to_numpy()
    return pairs.assign(**{c: pairs[c].where(~hit) for c in AT_ISSUE_COLUMNS
                           if c in pairs})


def _evenly(positions: np.ndarray, max_rows: int) -> np.ndarray:
    if len(positions) <= max_rows:
        return positions
    return positions[np.linspace(0, len(positions) - 1, max_rows).round().astype(int)]


def fit_forecaster(pairs: pd.DataFrame | None, lookup: dict, floor: float,
                   params: dict) -> dict | None:
    """Fit the forecaster and its bands on forecasts as issued (None: no archive).

    Bands are split-conformal: a fit without every ``every_nth_week``-th week of
    issues scores those issues, and the residual quantiles per lead-time band and
    forecast wind bin become the offsets; rows without the at-issue measurements
    have bands of their own (those issues scored again with them blank).
    Residuals are of every measured target (stoppages too: what a user compares
    the band with).

    Args:
        pairs: ``build_forecast_pairs`` rows before the holdout cut.
        lookup: The model's lookup (turbines, sectors, binned curve).
        floor: Lowest power (fraction of rated) the model predicts.
        params: Training parameters (``forecaster``, ``threads``, ``cut_out_speed``,
            ``power_curve.max_wind``).
    """
    spec = params["forecaster"]
    if pairs is None or not pairs["power_kw"].notna().any():
        return None
    rows = blank_at_issue(whole_issues(pairs, spec["max_pair_rows"]),
                          spec["blank_at_issue_share"], spec["seed"])
    columns, order = forecast_columns(rows, lookup)
    actual = rows["power_kw"].to_numpy(float)[order] / columns["rated_power_kw"]
    normal = (rows["operating_state"].to_numpy()[order] == "normal") & np.isfinite(
        actual)
    matrix = np.column_stack([columns[f] for f in spec["features"]])
    base = columns["baseline_kw_norm"]
    held = calibration_rows(rows["issued_at"].iloc[order].reset_index(drop=True),
                            spec["intervals"]["calibration"])
    cal_at = _evenly(np.flatnonzero(held & np.isfinite(actual)),
                     spec["max_train_rows"])
    settings = {"estimator": spec["estimator"], "threads": params["threads"]}
    # Bands per lead-time band, apart for rows with and without the at-issue
    # measurements: without them the first hours miss persistence and err more.
    edges = list(spec["band_edges_h"])
    n_bands = len(edges) - 1
    absent = np.isnan(columns["power_at_issue_norm"][cal_at])
    with_them = cal_at[~absent]
    residual = held_out_residuals(
        matrix, actual - base, base,
        _evenly(np.flatnonzero(normal & ~held), spec["max_train_rows"]), cal_at,
        columns["roll7_mean"] >= params["cut_out_speed"], floor, settings,
        blank=(with_them, [i for i, f in enumerate(spec["features"])
                           if f in AT_ISSUE_FEATURES]))
    lead = columns["lead_h"]
    group = np.concatenate([lead_band(lead[cal_at], edges) + n_bands * absent,
                            lead_band(lead[with_them], edges) + n_bands])
    wind = columns["ws_norm"][np.concatenate([cal_at, with_them])]
    intervals = fit_intervals(residual, wind, group, 2 * n_bands, spec["intervals"]
                              | {"max_wind": params["power_curve"]["max_wind"]})
    final_at = _evenly(np.flatnonzero(normal), spec["max_train_rows"])
    estimator = fit_estimator(matrix[final_at], (actual - base)[final_at],
                              spec["estimator"], params["threads"])
    seen = np.unique(columns["turbine_code"][np.flatnonzero(normal)])
    logger.info("forecaster: %d issues, fitted on %d rows, bands from %d rows of "
                "held-out issues", rows["issued_at"].nunique(), len(final_at),
                len(cal_at))
    return {"estimator": estimator, "features": list(spec["features"]),
            "intervals": intervals | {"by_at_issue": True}, "band_edges_h": edges,
            "turbine_codes": seen[seen >= 0].astype(int).tolist()}
