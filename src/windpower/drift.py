"""The wind histograms of monitoring's drift detector: training stores them with
the model (the reference), monitoring counts the live readings the same way."""

import numpy as np
import pandas as pd

# The drift detector's bins, the same in SQL (catalog: monitoring_wind_histograms)
# and in Python (the reference training stores with the model): 1 m/s of wind
# speed (30 m/s and more in the last bin) and 12 direction sectors of 30 degrees.
BINS = {"wind_speed": 31, "wind_direction": 12}


def wind_histograms(readings: pd.DataFrame) -> dict[str, dict[str, list[int]]]:
    """Per variable and turbine, the readings' counts per drift bin.

    Training stores this with the model: the reference the live readings are
    compared with, so monitoring never re-reads the year the model learnt from.
    """
    codes, turbines = pd.factorize(readings["turbine_id"])
    speed, direction = (readings[c].to_numpy(float) for c in ("wind_speed",
                                                                "wind_direction"))
    out: dict[str, dict[str, list[int]]] = {}
    for variable, values in (
            ("wind_speed", np.minimum(np.floor(speed), BINS["wind_speed"] - 1)),
            ("wind_direction", np.mod(np.floor(direction / 30),
                                      BINS["wind_direction"]))):
        bins = BINS[variable]
        ok = np.isfinite(values)
        cell = codes[ok] * bins + values[ok].astype(int)
        counts = np.bincount(cell, minlength=len(turbines) * bins).reshape(-1, bins)
        out[variable] = {str(t): row.tolist() for t, row in zip(
            turbines, counts, strict=True)}
    return out
