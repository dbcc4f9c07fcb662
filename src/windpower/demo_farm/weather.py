"""The demo farm's site and the weather that "happens" there, day by day.

It has seasonal and diurnal cycles, synoptic persistence, a slow drift of the
wind regime, direction-dependent wakes and terrain, turbulence and measurement
noise; its randomness is arranged so that each day is a pure function of
(seed, day).
"""

from functools import lru_cache

import numpy as np
import pandas as pd

from windpower.demo_farm import streams as st
from windpower.demo_farm.physics import STEPS_PER_DAY, make_turbines

YEAR_DAYS = 365.25


@lru_cache(maxsize=16)
def make_site(seed: int, n_turbines: int) -> tuple[pd.DataFrame, dict]:
    """Turbine table and per-turbine site effects (wakes, terrain, wear).

    Callers must not mutate.
    """
    rng = np.random.default_rng([seed, st.SITE])
    turbines = make_turbines(n_turbines, rng)
    effects = {
        "wake_dir": rng.uniform(0, 360, n_turbines),
        "wake_depth": rng.uniform(0.1, 0.3, n_turbines)
        * (rng.random(n_turbines) < 0.8),
        "terrain_phase": rng.uniform(0, 360, n_turbines),
        "decay": rng.uniform(0.0, 0.03, n_turbines),  # output lost per year of wear
    }
    return turbines, effects


def farm_weather(seed: int, days: np.ndarray) -> dict:
    """Farm-wide wind, direction (unwrapped), temperature and turbulence.

    Arrays are ``(n_days, 145)``: the step before each day, then its steps.
    """
    steps = days[:, None] * STEPS_PER_DAY - 1 + np.arange(STEPS_PER_DAY + 1)
    t = steps / STEPS_PER_DAY  # days since the epoch
    hour = (steps % STEPS_PER_DAY) / 6.0
    season = np.cos(2 * np.pi * (t - 14) / YEAR_DAYS)  # windiest mid-January
    drift_phase = np.random.default_rng([seed, st.DRIFT]).uniform(0, 2 * np.pi)
    mean_ws = (7.2 + 1.6 * season + 0.7 * np.sin(2 * np.pi * (hour - 16) / 24)
               + 0.35 * np.sin(2 * np.pi * t / (5.3 * YEAR_DAYS) + drift_phase))
    farm = mean_ws * np.exp(0.38 * st.slow_noise(seed, st.WIND, t, 1.0) - 0.07)
    farm = np.maximum(farm + 0.6 * st.fast_noise(seed, st.FAST_WIND, days, (), 6), 0.1)
    direction = (235 + 70 * st.slow_noise(seed, st.DIRECTION, t, 2.0)
                 + 12 * st.fast_noise(seed, st.FAST_DIRECTION, days, (), 6))
    temp = (9 - 9 * np.cos(2 * np.pi * (t - 19) / YEAR_DAYS)
            + 4 * np.sin(2 * np.pi * (hour - 9) / 24)
            + 3 * st.slow_noise(seed, st.TEMPERATURE, t, 2.0))
    ti = 0.09 + 0.04 * np.clip(np.sin(2 * np.pi * (hour - 6) / 24), 0, None)
    ti = np.clip(ti + 0.02 * st.fast_noise(seed, st.TI, days, (), 36), 0.04, 0.25)
    return {"t": t, "farm": farm, "direction": direction, "temp": temp, "ti": ti}


def hub_wind(seed: int, weather: dict, effects: dict, days: np.ndarray) -> dict:
    """Per-turbine true and measured hub-height wind and local turbulence.

    Returns:
        ``weather`` plus ``true_ws``, ``measured_ws`` and ``local_ti``, each
        ``(n_days, 145, n_turbines)``.
    """
    direction = weather["direction"][..., None]
    n_turb = len(effects["decay"])
    ang = (direction - effects["wake_dir"] + 180) % 360 - 180
    wake = effects["wake_depth"] * np.exp(-0.5 * (ang / 12.0) ** 2)
    terrain = 1 + 0.05 * np.cos(np.deg2rad(direction - effects["terrain_phase"]))
    local = weather["farm"][..., None] * terrain * (1 - wake)
    local_ti = weather["ti"][..., None] + 0.6 * wake
    gusts = st.fast_noise(seed, st.TURBULENCE, days, (n_turb,), 3)
    true_ws = np.maximum(local * (1 + 0.5 * local_ti * gusts), 0)
    noise = st.daily(seed, st.MEASURE, days,
                     lambda rng: rng.standard_normal((STEPS_PER_DAY + 1, n_turb)))
    measured = np.maximum(true_ws * (1 + 0.6 * local_ti * noise), 0)
    return {**weather, "true_ws": true_ws, "measured_ws": measured,
            "local_ti": local_ti}


def simulate_weather(seed: int, n_turbines: int, days: np.ndarray) -> dict:
    """The weather of whole days (see ``farm_weather`` and ``hub_wind``)."""
    effects = make_site(seed, n_turbines)[1]
    return hub_wind(seed, farm_weather(seed, days), effects, days)
