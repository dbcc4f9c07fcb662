"""Seeded generator of realistic, dirty wind-farm SCADA data.

The physics is simple but carries the effects a good model should find: a wind
regime with seasonal and diurnal cycles, synoptic persistence and year-to-year
drift; per-turbine terrain and direction-dependent wakes; turbulence that
smooths the power curve; air-density correction; inertia (power follows the
wind with a lag); slow per-turbine degradation. Then the dirt real SCADA has:
stoppages, curtailment, icing, gaps, NaNs, duplicates, out-of-range values.
"""

import numpy as np
import pandas as pd
from scipy.signal import lfilter

from windpower.forecast_model import air_density, normalised_wind

STEPS_PER_DAY = 144
CUT_IN, RATED_WS, CUT_OUT = 3.0, 12.0, 25.0
GH_NODES, GH_WEIGHTS = np.polynomial.hermite_e.hermegauss(5)


def _ar1(rng: np.random.Generator, shape: tuple, tau_steps: float) -> np.ndarray:
    """Unit-variance AR(1) noise along axis 0 with e-folding time ``tau_steps``."""
    phi = np.exp(-1.0 / tau_steps)
    noise = rng.standard_normal(shape)
    return lfilter([np.sqrt(1 - phi**2)], [1.0, -phi], noise, axis=0)


def make_turbines(n_turbines: int, rng: np.random.Generator) -> pd.DataFrame:
    """Turbine metadata table following the contract."""
    return pd.DataFrame({
        "turbine_id": [f"T{i + 1:02d}" for i in range(n_turbines)],
        "rated_power_kw": rng.choice([2000.0, 2500.0, 3000.0], n_turbines),
        "hub_height_m": rng.choice([80.0, 90.0, 100.0], n_turbines),
        "rotor_diameter_m": rng.choice([90.0, 100.0, 112.0], n_turbines),
    })


def power_curve(wind: np.ndarray) -> np.ndarray:
    """Normalised (0-1) power of a generic pitch-regulated turbine."""
    frac = (wind**3 - CUT_IN**3) / (RATED_WS**3 - CUT_IN**3)
    return np.where((wind < CUT_IN) | (wind >= CUT_OUT), 0.0, np.clip(frac, 0, 1))


def simulate_weather(times: pd.DatetimeIndex, n_turb: int, rng) -> dict:
    """Farm weather plus per-turbine true and measured hub-height wind."""
    n = len(times)
    doy = times.dayofyear.to_numpy()
    hour = (times.hour + times.minute / 60).to_numpy()
    years = (times - times[0]).days.to_numpy() / 365.25
    season = np.cos(2 * np.pi * (doy - 15) / 365.25)
    mean_ws = 7.2 + 1.6 * season + 0.7 * np.sin(2 * np.pi * (hour - 16) / 24)
    mean_ws = mean_ws + 0.35 * years  # year-to-year drift of the wind regime
    farm = mean_ws * np.exp(0.38 * _ar1(rng, (n,), 144) - 0.07)
    farm = np.maximum(farm + 0.6 * _ar1(rng, (n,), 6), 0.1)
    direction = (235 + 70 * _ar1(rng, (n,), 288) + 12 * _ar1(rng, (n,), 6)) % 360
    temp = 9 - 9 * np.cos(2 * np.pi * (doy - 20) / 365.25)
    temp = temp + 4 * np.sin(2 * np.pi * (hour - 9) / 24) + 3 * _ar1(rng, (n,), 288)
    ti = 0.09 + 0.04 * np.clip(np.sin(2 * np.pi * (hour - 6) / 24), 0, None)
    ti = np.clip(ti + 0.02 * _ar1(rng, (n,), 36), 0.04, 0.25)
    wake_dir = rng.uniform(0, 360, n_turb)
    wake_depth = rng.uniform(0.1, 0.3, n_turb) * (rng.random(n_turb) < 0.8)
    terrain_phase = rng.uniform(0, 360, n_turb)
    ang = (direction[:, None] - wake_dir[None, :] + 180) % 360 - 180
    wake = wake_depth * np.exp(-0.5 * (ang / 12.0) ** 2)
    terrain = 1 + 0.05 * np.cos(np.deg2rad(direction[:, None] - terrain_phase))
    local = farm[:, None] * terrain * (1 - wake)
    local_ti = ti[:, None] + 0.6 * wake
    true_ws = local * (1 + 0.5 * local_ti * _ar1(rng, (n, n_turb), 3))
    measured = true_ws * (1 + 0.6 * local_ti * rng.standard_normal((n, n_turb)))
    return {"direction": direction, "temp": temp, "true_ws": np.maximum(true_ws, 0),
            "measured_ws": np.maximum(measured, 0), "ti": local_ti, "years": years}


def simulate_power(weather: dict, turbines: pd.DataFrame, rng) -> np.ndarray:
    """Power (kW) from the true wind: inertia, turbulence, density, degradation."""
    true_ws = weather["true_ws"]
    lagged = np.vstack([true_ws[:1], true_ws[:-1]])
    eff_ws = 0.65 * true_ws + 0.35 * lagged
    rho = air_density(weather["temp"][:, None], turbines["hub_height_m"].to_numpy())
    v_eq = normalised_wind(eff_ws, rho)
    spread = weather["ti"] * v_eq
    norm = sum(w * power_curve(v_eq + z * spread) for z, w in zip(GH_NODES, GH_WEIGHTS))
    norm = norm / GH_WEIGHTS.sum()
    decay = rng.uniform(0.0, 0.03, len(turbines))
    norm = norm * (1 - decay[None, :] * weather["years"][:, None])
    rated = turbines["rated_power_kw"].to_numpy()[None, :]
    power = norm * rated + rng.normal(0, 0.01, norm.shape) * rated
    return np.where(eff_ws < CUT_IN, -5.0, np.clip(power, 0, rated))
