"""Serve each turbine on its recent output level, not on a year's average.

The model learns the deviation from each turbine's binned power curve, fitted on a
year of history. A turbine that changed a few days ago (blade damage, a derating:
what monitoring's concept detector names) would need months of new data to move
that curve. So before the model is registered, the curve of a turbine whose recent
output above ``min_wind`` differs from it by more than ``min_change`` is scaled, in
those bins, by the recent ratio; the model's forecasts follow at once, and the
concept detector, which judges readings against this same curve, clears.
"""

import copy
import logging

import numpy as np
import pandas as pd

from windpower.forecast_model import curve_power
from windpower.pipelines.training.nodes import normal_rows

logger = logging.getLogger(__name__)


def in_recent_window(rows: pd.DataFrame, params: dict) -> pd.Series:
    """Rows of the last ``days`` before the newest reading (the window levels are
    measured on, and the champion gate judges a rebased turbine on)."""
    newest = rows["timestamp"].max()
    return rows["timestamp"] > newest - pd.Timedelta(days=params["days"])


def recent_levels(rows: pd.DataFrame, curve: dict, params: dict) -> dict[str, float]:
    """Per turbine, actual / curve energy over the last ``days`` of ``rows``.

    Args:
        rows: Rows with ``timestamp``, ``turbine_id``, ``ws_norm``, ``power_kw``,
            ``operating_state``.
        curve: The binned curve (``fit_baseline``).
        params: ``recent_level`` parameters.

    Returns:
        The ratio of each turbine with at least ``min_samples`` readings in
        ``[min_wind, max_wind)`` over the window.
    """
    recent = normal_rows(rows.loc[in_recent_window(rows, params)])
    recent = recent.loc[recent["ws_norm"].between(
        params["min_wind"], params["max_wind"], inclusive="left")]
    expected = curve_power(curve, recent["turbine_id"].to_numpy(),
                           recent["ws_norm"].to_numpy())
    sums = recent.assign(expected=expected).groupby("turbine_id").agg(
        n=("power_kw", "size"), actual=("power_kw", "sum"),
        expected=("expected", "sum"))
    sums = sums.loc[(sums["n"] >= params["min_samples"]) & (sums["expected"] > 0)]
    return {str(t): float(r.actual / r.expected) for t, r in sums.iterrows()}


def rebase_curve(bundle: dict, holdout: pd.DataFrame, params: dict
                 ) -> tuple[dict, dict[str, float]]:
    """The bundle to serve: curves of changed turbines on their recent level.

    Args:
        bundle: Trained model bundle (its ``lookup["curve"]`` is rebased).
        holdout: The newest rows (the holdout ends at the newest reading).
        params: Training parameters (``recent_level``).

    Returns:
        A copy of ``bundle`` with the rebased curve, and the factor applied to each
        rebased turbine (empty when none changed; also kept in the curve as
        ``recent_level``).
    """
    settings = params["recent_level"]
    curve = copy.deepcopy(bundle["lookup"]["curve"])
    above = curve["centres"] >= settings["min_wind"]
    levels = {}
    for turbine, ratio in recent_levels(holdout, curve, settings).items():
        if abs(1 - ratio) > settings["min_change"] and turbine in curve["curves"]:
            curve["curves"][turbine] = np.where(
                above, curve["curves"][turbine] * ratio, curve["curves"][turbine])
            levels[turbine] = round(ratio, 4)
            logger.info("turbine %s served at %.1f %% of its curve above %g m/s",
                        turbine, 100 * ratio, settings["min_wind"])
    curve["recent_level"] = levels
    return {**bundle, "lookup": {**bundle["lookup"], "curve": curve}}, levels
