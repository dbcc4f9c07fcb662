"""Weather forecasts that err like numerical weather prediction.

A forecast is the weather that later "happens" at the farm (true hub wind,
before measurement noise), shifted in time by a front-timing error that grows
with the horizon, plus a per-issue bias and smooth errors growing with the
horizon. Each issue draws from its own stream, seeded by (seed, issue step):
a forecast never depends on any other issue.
"""

import numpy as np
import pandas as pd
from scipy.signal import lfilter

from windpower.demo_farm import streams as st
from windpower.demo_farm.weather import make_site, simulate_weather
from windpower.generator import STEPS_PER_DAY

STEPS_PER_HOUR = 6
SHIFT_STD_H_AT_48H = 2.0  # front timing error (std, hours) at 48 h ahead
WIND_BIAS_STD = 0.4  # m/s, per issue
WIND_ERR = (0.7, 1.4, 20.0)  # std at 0 h, growth, e-folding horizon (h)
DIRECTION_ERR, TEMPERATURE_ERR = (6.0, 12.0, 24.0), (0.6, 1.0, 24.0)
MAX_SPAN_DAYS = 30  # issues are simulated in groups of at most this span


def _ar(rng: np.random.Generator, n: int, shape: tuple, tau: float) -> np.ndarray:
    """Stationary unit-variance AR(1) noise of length ``n`` along axis 0."""
    phi = np.exp(-1.0 / tau)
    warm = int(5 * tau)
    noise = rng.standard_normal((n + warm, *shape))
    return lfilter([np.sqrt(1 - phi**2)], [1.0, -phi], noise, axis=0)[warm:]


def _sigma(lead_h: np.ndarray, err: tuple) -> np.ndarray:
    start, growth, tau_h = err
    return start + growth * (1 - np.exp(-lead_h / tau_h))


def _truth(seed: int, n_turbines: int, first: int, last: int) -> dict:
    """True hub wind, unwrapped direction and temperature over steps [first, last]."""
    days = np.arange(first // STEPS_PER_DAY, last // STEPS_PER_DAY + 1)
    weather = simulate_weather(seed, n_turbines, days)
    return {"base": days[0] * STEPS_PER_DAY,
            "ws": weather["true_ws"][:, 1:].reshape(-1, n_turbines),
            "direction": weather["direction"][:, 1:].reshape(-1),
            "temp": weather["temp"][:, 1:].reshape(-1)}


def _issue(seed: int, step0: int, n_lead: int, truth: dict) -> dict:
    """One issue's forecast arrays, ``(n_lead, n_turbines)`` or ``(n_lead,)``."""
    rng = np.random.default_rng([seed, step0, st.FORECAST])
    lead_h = np.arange(1, n_lead + 1) / STEPS_PER_HOUR
    timing = np.clip(rng.standard_normal(), -3, 3) * SHIFT_STD_H_AT_48H / 48
    pos = step0 - truth["base"] + (lead_h - timing * lead_h) * STEPS_PER_HOUR
    i0 = np.floor(pos).astype(int)
    w = pos - i0

    def shifted(values: np.ndarray) -> np.ndarray:
        weight = w if values.ndim == 1 else w[:, None]
        return values[i0] * (1 - weight) + values[i0 + 1] * weight

    sigma = _sigma(lead_h, WIND_ERR)
    farm_err = rng.normal(0, WIND_BIAS_STD) + sigma * _ar(rng, n_lead, (), 18)
    direction = shifted(truth["direction"]) + rng.normal(0, 5) + _sigma(
        lead_h, DIRECTION_ERR) * _ar(rng, n_lead, (), 18)
    temp = shifted(truth["temp"]) + rng.normal(0, 0.5) + _sigma(
        lead_h, TEMPERATURE_ERR) * _ar(rng, n_lead, (), 36)
    k = truth["ws"].shape[1]  # per-turbine draws last: farm-wide ones ignore k
    local_err = 0.3 * sigma[:, None] * _ar(rng, n_lead, (k,), 6)
    ws = shifted(truth["ws"]) + farm_err[:, None] + local_err
    return {"ws": np.maximum(ws, 0), "direction": direction % 360, "temp": temp}


def forecasts(seed: int, n_turbines: int, issued: list, hours: int) -> pd.DataFrame:
    """Forecasts of every issue in ``issued`` (floored to 10 min), stacked."""
    issue_steps = np.unique([st.step_of(t) for t in issued])
    n_lead = int(hours * STEPS_PER_HOUR)
    pad = int(np.ceil(3 * SHIFT_STD_H_AT_48H * hours / 48 * STEPS_PER_HOUR)) + 2
    ids = make_site(seed, n_turbines)[0]["turbine_id"].to_numpy()
    span = MAX_SPAN_DAYS * STEPS_PER_DAY
    parts = []
    for group_start in range(issue_steps[0], issue_steps[-1] + 1, span):
        group = issue_steps[(issue_steps >= group_start)
                            & (issue_steps < group_start + span)]
        if len(group) == 0:
            continue
        truth = _truth(seed, n_turbines, group[0] - pad, group[-1] + n_lead + pad)
        parts += [_columns(s, n_lead, ids, _issue(seed, s, n_lead, truth))
                  for s in group]
    frame = pd.DataFrame({name: np.concatenate([p[name] for p in parts])
                          for name in parts[0]})
    for name in ("issued_at", "timestamp"):
        frame[name] = st.stamps(frame[name].to_numpy())
    return frame


def _columns(step0: int, n_lead: int, ids: np.ndarray, fc: dict) -> dict:
    """One issue as columns of rows (issued_at, timestamp, turbine_id), in order;
    times still as 10-minute steps."""
    k = len(ids)
    return {
        "issued_at": np.full(n_lead * k, step0),
        "timestamp": np.repeat(step0 + np.arange(1, n_lead + 1), k),
        "turbine_id": np.tile(ids, n_lead),
        "wind_speed": fc["ws"].reshape(-1).round(2),
        "wind_direction": np.repeat(fc["direction"], k).round(1),
        "ambient_temperature": np.repeat(fc["temp"], k).round(2),
    }
