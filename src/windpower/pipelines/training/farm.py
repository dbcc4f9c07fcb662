"""The farm total's band, calibrated on held-out issues (``windpower.farm_total``)."""

import pandas as pd

from windpower import farm_total
from windpower.pipelines.training.forecast_skill import scored_pairs


def calibrate_farm_band(bundle: dict, holdout_pairs: pd.DataFrame,
                        turbines: pd.DataFrame, params: dict) -> dict:
    """The farm total's P10/P90 offsets per lead band.

    Args:
        bundle: Trained model bundle.
        holdout_pairs: Forecast pairs of the held-out issues.
        turbines: Validated turbine table (the farm's turbines).
        params: Training parameters (``forecaster.band_edges_h``).

    Returns:
        ``farm_total.calibrate``'s band (no offsets without held-out issues).
    """
    edges = list(params["forecaster"]["band_edges_h"])
    measured = holdout_pairs.loc[holdout_pairs["power_kw"].notna()]
    if measured.empty:
        return farm_total.calibrate(pd.DataFrame(columns=[
            "issued_at", "timestamp", "lead_h", "rated_kw", "actual_kw", "p50_kw"]),
            len(turbines), edges)
    scored = scored_pairs(bundle, holdout_pairs, turbines).assign(
        issued_at=measured["issued_at"].to_numpy(),
        timestamp=measured["timestamp"].to_numpy())
    return farm_total.calibrate(scored, len(turbines), edges)


def with_farm_band(bundle: dict, band: dict) -> dict:
    """The bundle to serve, carrying the farm band (the input is not changed)."""
    return {**bundle, "farm_band": band}
