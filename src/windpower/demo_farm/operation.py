"""Turbine output from the hub wind, then how the farm is run: faults,
stoppages, curtailment and icing, drawn per day (the curve: ``physics``)."""

import numpy as np
import pandas as pd

from windpower.demo_farm import streams as st
from windpower.demo_farm.physics import (
    CUT_IN,
    GH_NODES,
    GH_WEIGHTS,
    RATED_WS,
    STEPS_PER_DAY,
    power_curve,
)
from windpower.forecast_model import air_density, normalised_wind

WEAR_SINCE_DAYS = 20089.0  # 2025-01-01: wear (slow degradation) counts from here


def clean_power(seed: int, weather: dict, turbines: pd.DataFrame, effects: dict,
                days: np.ndarray) -> np.ndarray:
    """Power (kW, ``(n_days, 144, n_turbines)``) with inertia, turbulence, density
    and wear; the step before each day feeds the lag across midnight."""
    true_ws = weather["true_ws"]
    eff_ws = 0.65 * true_ws[:, 1:] + 0.35 * true_ws[:, :-1]
    rho = air_density(weather["temp"][:, 1:, None], turbines["hub_height_m"].to_numpy())
    v_eq = normalised_wind(eff_ws, rho)
    spread = weather["local_ti"][:, 1:] * v_eq
    norm = sum(w * power_curve(v_eq + z * spread) for z, w in zip(GH_NODES, GH_WEIGHTS))
    years = np.clip((weather["t"][:, 1:, None] - WEAR_SINCE_DAYS) / 365.25, 0, None)
    norm = norm / GH_WEIGHTS.sum() * (1 - effects["decay"] * years)
    rated = turbines["rated_power_kw"].to_numpy()
    noise = st.daily(seed, st.POWER_NOISE, days,
                     lambda rng: rng.normal(0, 0.01, (STEPS_PER_DAY, len(rated))))
    power = (norm + noise) * rated
    return np.where(eff_ws < CUT_IN, -5.0, np.clip(power, 0, rated))


def apply_fault(power: np.ndarray, weather: dict, turbines: pd.DataFrame,
                days: np.ndarray, fault) -> np.ndarray:
    """The faulty turbine loses ``fault.loss`` of its output above the fault's
    wind speed from ``fault.start`` on; everything else is left as it was."""
    if fault is None:
        return power
    col = int(np.flatnonzero(turbines["turbine_id"].to_numpy() == fault.turbine_id)[0])
    steps = days[:, None] * STEPS_PER_DAY + np.arange(STEPS_PER_DAY)
    hit = (steps >= st.step_of(fault.start, ceil=True)) & (
        weather["true_ws"][:, 1:, col] > fault.above_wind_speed)
    out = power.copy()
    out[..., col] = np.where(hit, power[..., col] * (1 - fault.loss), power[..., col])
    return out


def operate(seed: int, power: np.ndarray, weather: dict, turbines: pd.DataFrame,
            days: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Apply stoppages, curtailment and icing; return power and pitch.

    Arrays come and go as ``(n_days * 144, n_turbines)``.
    """
    k = len(turbines)
    power = power.reshape(-1, k)
    ws = weather["true_ws"][:, 1:].reshape(-1, k)
    temp = weather["temp"][:, 1:].reshape(-1, 1)
    rated = turbines["rated_power_kw"].to_numpy()[None, :]
    draws = st.daily(seed, st.OPERATE, days, lambda rng: np.stack(
        [rng.normal(0, 0.3, (STEPS_PER_DAY, k)), rng.random((STEPS_PER_DAY, k)),
         rng.random((STEPS_PER_DAY, k))], axis=-1)).reshape(-1, k, 3)
    pitch = np.clip((ws - RATED_WS) * 1.6, 0, None) + draws[..., 0]
    stop = st.event_mask(seed, st.STOPS, days, k, per_year=8, min_len=12,
                         max_len=432)
    curtail = st.event_mask(seed, st.CURTAIL, days, 1, per_year=12, min_len=12,
                            max_len=72)
    icing = st.event_mask(seed, st.ICING, days, 1, per_year=25, min_len=36,
                          max_len=288) & (temp < 1.0)
    cap = 0.55 * rated
    capped = curtail & (power > cap)
    power = np.where(icing, power * 0.45, power)
    pitch = np.where(capped, pitch + 6 + 4 * draws[..., 1], pitch)
    power = np.where(capped, cap, power)
    power = np.where(stop, -3.0, power)
    pitch = np.where(stop, 88 + 2 * draws[..., 2], pitch)
    return power, pitch

