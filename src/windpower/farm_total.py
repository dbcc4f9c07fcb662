"""A site's farm total: the sum of its turbines' P50, with a band of its own.

Turbine quantiles do not add up: the sum of the turbines' P10 is far below the
farm's P10 (their errors are only partly correlated). The farm's band is
calibrated like the turbines' ones, on forecast-as-issued residuals of held-out
issues, per lead-time band: quantiles of (farm actual - farm P50) / farm rated,
over the target times at which every turbine was measured. Training stores the
offsets with the model (``bundle["farm_band"]``); inference adds them to the
summed P50 and stores the total as turbine ``FARM`` beside the turbines.
"""

import numpy as np
import pandas as pd

from windpower.contract.rules import FARM_ID

# The farm total's turbine id in ``predictions``; the contract refuses it as a
# turbine's.
FARM = FARM_ID
LEVELS = (0.1, 0.9)
# Fewer complete held-out target times than this in a lead band: no band there.
MIN_SAMPLES = 30


def lead_band(lead_h: np.ndarray, edges_h: list[float]) -> np.ndarray:
    """Each lead time's band name (``0-6h``, ...) as monitoring counts them: a
    band holds its lower edge, the last one its upper edge too."""
    names = np.array([f"{a:g}-{b:g}h" for a, b in zip(edges_h[:-1], edges_h[1:])])
    return names[np.searchsorted(edges_h[1:-1], lead_h, side="right")]


def calibrate(scored: pd.DataFrame, n_turbines: int, edges_h: list[float]) -> dict:
    """The farm band's offsets per lead band, from held-out scored rows.

    Args:
        scored: One row per measured turbine target: ``issued_at``,
            ``timestamp``, ``lead_h``, ``rated_kw``, ``actual_kw``, ``p50_kw``.
        n_turbines: The farm's turbines: only complete target times count.
        edges_h: Lead-band edges in hours.

    Returns:
        ``{"levels", "edges_h", "offsets": {band: [low, high]}, "samples"}``;
        offsets are fractions of the farm's rated power.
    """
    farm = scored.groupby(["issued_at", "timestamp"]).agg(
        n=("actual_kw", "size"), lead_h=("lead_h", "first"),
        rated=("rated_kw", "sum"), actual=("actual_kw", "sum"),
        p50=("p50_kw", "sum"))
    farm = farm.loc[farm["n"] == n_turbines]
    residual = (farm["actual"] - farm["p50"]) / farm["rated"]
    bands = pd.Series(lead_band(farm["lead_h"].to_numpy(float), edges_h),
                      index=farm.index)
    offsets, samples = {}, {}
    for band, values in residual.groupby(bands):
        samples[band] = int(len(values))
        if len(values) >= MIN_SAMPLES:
            offsets[band] = [float(values.quantile(q)) for q in LEVELS]
    return {"levels": list(LEVELS), "edges_h": list(edges_h), "offsets": offsets,
            "samples": samples}


def farm_rows(turbine_rows: pd.DataFrame, rated_kw: pd.Series, band: dict | None
              ) -> pd.DataFrame:
    """The farm total of each target time every turbine was forecast for.

    Args:
        turbine_rows: ``predictions`` rows of the turbines (one issue, one model).
        rated_kw: Rated power per turbine id.
        band: The model's ``farm_band`` (None: a model trained without one; the
            total then has no band).

    Returns:
        ``predictions`` rows with turbine ``FARM``: P50 the sum, P10/P90 the
        calibrated offsets around it, within [0, farm rated].
    """
    keys = ["issued_at", "timestamp", "model_version", "horizon_minutes",
            "mlflow_run_id"]
    total = turbine_rows.groupby(keys, as_index=False).agg(
        n=("turbine_id", "size"), predicted_power_kw=("predicted_power_kw", "sum"))
    total = total.loc[total["n"] == len(rated_kw)].drop(columns="n")
    capacity = float(rated_kw.sum())
    low = high = np.full(len(total), np.nan)
    if band and band.get("offsets"):
        names = lead_band(total["horizon_minutes"].to_numpy(float) / 60,
                          band["edges_h"])
        pick = {name: band["offsets"].get(name, [np.nan, np.nan]) for name in
                set(names)}
        p50 = total["predicted_power_kw"].to_numpy(float)
        low = np.clip(p50 + np.array([pick[n][0] for n in names]) * capacity,
                      0.0, p50)
        high = np.clip(p50 + np.array([pick[n][1] for n in names]) * capacity,
                       p50, capacity)
    return total.assign(turbine_id=FARM, p10_power_kw=low, p90_power_kw=high)[
        ["issued_at", "timestamp", "turbine_id", "model_version", "horizon_minutes",
         "predicted_power_kw", "p10_power_kw", "p90_power_kw", "mlflow_run_id"]]
