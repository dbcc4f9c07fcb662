"""The farm total's band, calibrated on held-out issues (``windpower.farm_total``)."""

import pandas as pd

from windpower import farm_total


def calibrate_farm_band(holdout_scored: pd.DataFrame, turbines: pd.DataFrame,
                        params: dict) -> dict:
    """The farm total's P10/P90 offsets per lead band.

    Args:
        holdout_scored: The held-out issues' scored rows (``evaluate_forecasts``).
        turbines: Validated turbine table (the farm's turbines).
        params: Training parameters (``forecaster.band_edges_h``).

    Returns:
        ``farm_total.calibrate``'s band (no offsets without held-out issues).
    """
    return farm_total.calibrate(holdout_scored, len(turbines),
                                list(params["forecaster"]["band_edges_h"]))


def with_farm_band(bundle: dict, band: dict) -> dict:
    """The bundle to serve, carrying the farm band (the input is not changed)."""
    return {**bundle, "farm_band": band}
