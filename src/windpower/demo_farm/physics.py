"""The demo farm's turbines and their power curve.

A generic pitch-regulated turbine: no output below cut-in, a cubic rise to rated
power at the rated wind speed, then rated power until cut-out. Turbulence smooths
the curve: ``operation.clean_power`` averages it over a normal spread of wind
speeds, by Gauss-Hermite quadrature on ``GH_NODES`` with ``GH_WEIGHTS``.
"""

import numpy as np
import pandas as pd

STEPS_PER_DAY = 144  # 10-minute steps
CUT_IN, RATED_WS, CUT_OUT = 3.0, 12.0, 25.0
GH_NODES, GH_WEIGHTS = np.polynomial.hermite_e.hermegauss(5)


def make_turbines(n_turbines: int, rng: np.random.Generator) -> pd.DataFrame:
    """Turbine table following the contract, ratings and sizes drawn from ``rng``.

    Ids are ``T01``.. below 99 turbines and ``T001``.. from 99 on, so the unknown
    id ``T99`` the dirt uses never names a real turbine.
    """
    width = 2 if n_turbines < 99 else 3
    return pd.DataFrame({
        "turbine_id": [f"T{i + 1:0{width}d}" for i in range(n_turbines)],
        "rated_power_kw": rng.choice([2000.0, 2500.0, 3000.0], n_turbines),
        "hub_height_m": rng.choice([80.0, 90.0, 100.0], n_turbines),
        "rotor_diameter_m": rng.choice([90.0, 100.0, 112.0], n_turbines),
    })


def power_curve(wind: np.ndarray) -> np.ndarray:
    """Normalised (0-1) power of a generic pitch-regulated turbine."""
    frac = (wind**3 - CUT_IN**3) / (RATED_WS**3 - CUT_IN**3)
    return np.where((wind < CUT_IN) | (wind >= CUT_OUT), 0.0, np.clip(frac, 0, 1))
