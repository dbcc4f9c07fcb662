"""Weather forecasts that err like numerical weather prediction.

A forecast is the weather that later "happens" at the farm (true hub wind,
before measurement noise), shifted in time by a front-timing error that grows
with the horizon, plus a per-issue bias and smooth errors growing with the
horizon. Like a real weather model it is also wrong in ways noise is not: its
wind has a site-level bias against the hub anemometer (``LEVEL_GAIN``,
``LEVEL_OFFSET``) and a direction-dependent one (``DIRECTION_BIAS``), both
drawn once per seed, and it has no gusts (``SMOOTH_HOURS``).

Each issue draws from its own stream, seeded by (seed, issue step): a forecast
never depends on any other issue. Issues are computed in batches, as arrays.
"""

from functools import lru_cache

import numpy as np
import pandas as pd
from scipy.signal import lfilter

from windpower.demo_farm import streams as st
from windpower.demo_farm.physics import STEPS_PER_DAY
from windpower.demo_farm.weather import make_site, simulate_weather

STEPS_PER_HOUR = 6
SHIFT_STD_H_AT_48H = 2.0  # front timing error (std, hours) at 48 h ahead
MAX_TIMING = 3 * SHIFT_STD_H_AT_48H / 48  # the timing error is clipped at 3 std
WIND_BIAS_STD = 0.4  # m/s, per issue
WIND_ERR = (0.5, 1.6, 20.0)  # std at 0 h, growth, e-folding horizon (h)
DIRECTION_ERR, TEMPERATURE_ERR = (6.0, 12.0, 24.0), (0.6, 1.0, 24.0)
# AR(1) errors: e-folding time (steps) of each, warmed up over 5 of them.
TAUS = {"ws": 18, "dir": 18, "temp": 36, "local": 6}
WARM = {name: 5 * tau for name, tau in TAUS.items()}
# A model's wind is rarely calibrated to one hub height: model = gain * true +
# offset, the gain drawn per seed from one of these ranges, the offset (m/s)
# uniform in +-LEVEL_OFFSET.
LEVEL_GAIN = ((0.90, 0.95), (1.05, 1.10))
LEVEL_OFFSET = 0.3
# Terrain and roughness the model does not resolve: a wind bias of
# c * sin(direction - phase), c (m/s) drawn per seed in this range.
DIRECTION_BIAS = (0.3, 0.6)
# The model resolves no gusts or short ramps: its fields are centred moving
# averages this wide (hours) at 0 h and at 48 h ahead, linear in between.
SMOOTH_HOURS = (1.0, 3.0)
BATCH_VALUES = 2_000_000  # issues are stacked up to about this many wind values
MAX_SPAN_DAYS = 30  # issues are simulated in groups of at most this span


@lru_cache(maxsize=16)
def site_errors(seed: int) -> dict:
    """The weather model's systematic errors at this seed's site.

    Drawn from a child of the site stream, so the site itself is unchanged.
    """
    seq = np.random.SeedSequence([seed, st.SITE], spawn_key=(st.FORECAST,))
    rng = np.random.default_rng(seq)
    gain_range = LEVEL_GAIN[int(rng.integers(len(LEVEL_GAIN)))]
    return {"gain": rng.uniform(*gain_range),
            "offset": rng.uniform(-LEVEL_OFFSET, LEVEL_OFFSET),
            "dir_amp": rng.uniform(*DIRECTION_BIAS),
            "dir_phase": rng.uniform(0, 360)}


def _half_width(lead_h: np.ndarray) -> np.ndarray:
    """Half-width (steps) of the moving average at each lead (hours)."""
    start, end = SMOOTH_HOURS
    hours = start + (end - start) * np.maximum(lead_h, 0) / 48
    return np.round(hours * STEPS_PER_HOUR / 2).astype(int)


def _sigma(lead_h: np.ndarray, err: tuple) -> np.ndarray:
    start, growth, tau_h = err
    return start + growth * (1 - np.exp(-np.maximum(lead_h, 0) / tau_h))


def _draws(seed: int, step0: int, n_ext: int, k: int) -> dict:
    """One issue's random numbers, from its own stream only."""
    rng = np.random.default_rng([seed, step0, st.FORECAST])
    return {
        "timing": np.clip(rng.standard_normal(), -3, 3) * SHIFT_STD_H_AT_48H / 48,
        "ws_bias": rng.normal(0, WIND_BIAS_STD),
        "ws": rng.standard_normal(n_ext + WARM["ws"]),
        "dir_bias": rng.normal(0, 5),
        "dir": rng.standard_normal(n_ext + WARM["dir"]),
        "temp_bias": rng.normal(0, 0.5),
        "temp": rng.standard_normal(n_ext + WARM["temp"]),
        # per-turbine draws last: the farm-wide ones do not depend on k
        "local": rng.standard_normal((n_ext + WARM["local"], k)),
    }


def _ar(noise: np.ndarray, name: str) -> np.ndarray:
    """Stationary unit-variance AR(1) noise along axis 1, warm-up dropped."""
    phi = np.exp(-1.0 / TAUS[name])
    out = lfilter([np.sqrt(1 - phi**2)], [1.0, -phi], noise, axis=1)
    return out[:, WARM[name]:]


def _truth(seed: int, n_turbines: int, first: int, last: int) -> dict:
    """True hub wind, unwrapped direction and temperature over steps [first, last]."""
    days = np.arange(first // STEPS_PER_DAY, last // STEPS_PER_DAY + 1)
    weather = simulate_weather(seed, n_turbines, days)
    return {"base": days[0] * STEPS_PER_DAY,
            "ws": weather["true_ws"][:, 1:].reshape(-1, n_turbines),
            "direction": weather["direction"][:, 1:].reshape(-1),
            "temp": weather["temp"][:, 1:].reshape(-1)}


def _issues(seed: int, steps: np.ndarray, n_lead: int, truth: dict) -> dict:
    """Forecast arrays of issues ``steps``: ``(m, n_lead, n_turbines)`` or
    ``(m, n_lead)``."""
    k = truth["ws"].shape[1]
    lead_h = np.arange(1, n_lead + 1) / STEPS_PER_HOUR
    half = _half_width(lead_h)
    pad = int(half.max())
    # Leads 1 - pad .. n_lead + pad: the moving averages' margins.
    ext = np.arange(1 - pad, n_lead + pad + 1)
    ext_h = ext / STEPS_PER_HOUR
    draws = [_draws(seed, int(s), len(ext), k) for s in steps]
    d = {name: np.array([x[name] for x in draws]) for name in draws[0]}

    pos = (steps - truth["base"])[:, None] + ext * (1 - d["timing"][:, None])
    i0 = np.floor(pos).astype(int)
    w = pos - i0

    def shifted(values: np.ndarray) -> np.ndarray:
        weight = w if values.ndim == 1 else w[..., None]
        return values[i0] * (1 - weight) + values[i0 + 1] * weight

    site = site_errors(seed)
    flow_dir = shifted(truth["direction"])  # the flow the model simulates
    terrain = site["dir_amp"] * np.sin(np.deg2rad(flow_dir - site["dir_phase"]))
    sigma = _sigma(ext_h, WIND_ERR)
    farm_err = d["ws_bias"][:, None] + terrain + sigma * _ar(d["ws"], "ws")
    local_err = 0.3 * sigma[:, None] * _ar(d["local"], "local")
    ws = (site["gain"] * shifted(truth["ws"]) + site["offset"]
          + farm_err[..., None] + local_err)
    direction = flow_dir + d["dir_bias"][:, None] + _sigma(
        ext_h, DIRECTION_ERR) * _ar(d["dir"], "dir")
    temp = shifted(truth["temp"]) + d["temp_bias"][:, None] + _sigma(
        ext_h, TEMPERATURE_ERR) * _ar(d["temp"], "temp")

    # Centred moving averages by cumulative sums: lead j averages ext indices
    # [j - 1 + pad - half, j - 1 + pad + half].
    centre = np.arange(n_lead) + pad
    lo, hi = centre - half, centre + half + 1

    def smooth(values: np.ndarray) -> np.ndarray:
        zero = np.zeros_like(values[:, :1])
        total = np.concatenate([zero, np.cumsum(values, axis=1)], axis=1)
        width = 2 * half + 1
        return (total[:, hi] - total[:, lo]) / (
            width if values.ndim == 2 else width[:, None])

    return {"ws": np.maximum(smooth(ws), 0), "direction": smooth(direction) % 360,
            "temp": smooth(temp)}


def forecasts(seed: int, n_turbines: int, issued: list, hours: int) -> pd.DataFrame:
    """Forecasts of every issue in ``issued`` (floored to 10 min), stacked."""
    issue_steps = np.unique([st.step_of(t) for t in issued])
    n_lead = int(hours * STEPS_PER_HOUR)
    half = int(_half_width(np.array([hours])).max())
    # Truth needed around each issue: the leads, the averages' margins and the
    # largest timing error.
    reach = n_lead + half
    pad = half + int(np.ceil(MAX_TIMING * reach)) + 2
    ids = make_site(seed, n_turbines)[0]["turbine_id"].to_numpy()
    span = MAX_SPAN_DAYS * STEPS_PER_DAY
    batch = max(1, BATCH_VALUES // ((n_lead + 2 * half) * n_turbines))
    parts = []
    for group_start in range(issue_steps[0], issue_steps[-1] + 1, span):
        group = issue_steps[(issue_steps >= group_start)
                            & (issue_steps < group_start + span)]
        if len(group) == 0:
            continue
        truth = _truth(seed, n_turbines, group[0] - pad, group[-1] + reach + pad)
        for i in range(0, len(group), batch):
            steps = group[i:i + batch]
            parts.append(_columns(steps, n_lead, ids,
                                  _issues(seed, steps, n_lead, truth)))
    frame = pd.DataFrame({name: np.concatenate([p[name] for p in parts])
                          for name in parts[0]})
    for name in ("issued_at", "timestamp"):
        frame[name] = st.stamps(frame[name].to_numpy())
    return frame


def _columns(steps: np.ndarray, n_lead: int, ids: np.ndarray, fc: dict) -> dict:
    """Issues as columns of rows (issued_at, timestamp, turbine_id), in order;
    times still as 10-minute steps."""
    k, m = len(ids), len(steps)
    leads = np.arange(1, n_lead + 1)
    return {
        "issued_at": np.repeat(steps, n_lead * k),
        "timestamp": np.repeat((steps[:, None] + leads).reshape(-1), k),
        "turbine_id": np.tile(ids, m * n_lead),
        "wind_speed": fc["ws"].reshape(-1).round(2),
        "wind_direction": np.repeat(fc["direction"].reshape(-1), k).round(1),
        "ambient_temperature": np.repeat(fc["temp"].reshape(-1), k).round(2),
    }
