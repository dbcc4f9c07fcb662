"""Random streams that are pure functions of (seed, absolute time).

Time counts 10-minute steps since the Unix epoch; a day is 144 steps. Every
draw comes from ``default_rng([seed, day, stream])``, so any day can be rebuilt
alone, in any chunking, with the same numbers. Slow weather is a sum of
random-phase sinusoids of absolute time (no state at all); fast noise is AR(1)
warmed up on the previous day, so days join without a seam.
"""

import numpy as np
import pandas as pd
from scipy.signal import lfilter

from windpower.demo_farm.physics import STEPS_PER_DAY

STEP = pd.Timedelta(minutes=10)
EPOCH = pd.Timestamp("1970-01-01", tz="UTC")
# Stream ids: one per independent source of randomness, never reused.
SITE, WIND, DIRECTION, TEMPERATURE, DRIFT = 1, 2, 3, 4, 5
FAST_WIND, FAST_DIRECTION, TI, TURBULENCE, MEASURE, YAW = 11, 12, 13, 14, 15, 16
POWER_NOISE, OPERATE, STOPS, CURTAIL, ICING = 21, 22, 23, 24, 25
GAPS, DIRT, EXTRAS, FORECAST = 31, 32, 33, 41


def to_utc(value) -> pd.Timestamp:
    """A UTC timestamp; naive values are taken as UTC."""
    stamp = pd.Timestamp(value)
    return stamp.tz_localize("UTC") if stamp.tz is None else stamp.tz_convert("UTC")


def step_of(value, ceil: bool = False) -> int:
    """The 10-minute step at (or, with ``ceil``, first at or after) a time."""
    step_ns = 600 * 10**9  # integer arithmetic: an aligned time is never off by one
    ns = to_utc(value).value - EPOCH.value
    return -(-ns // step_ns) if ceil else ns // step_ns


def stamps(steps: np.ndarray) -> pd.DatetimeIndex:
    """UTC timestamps of 10-minute steps."""
    return pd.to_datetime(np.asarray(steps, np.int64) * 600, unit="s", utc=True)


def day_rng(seed: int, day: int, stream: int) -> np.random.Generator:
    """The generator of one stream on one day (days since the epoch, >= 0)."""
    return np.random.default_rng([seed, int(day), stream])


def slow_noise(seed: int, stream: int, t_days: np.ndarray, tau_days: float,
               n_waves: int = 48) -> np.ndarray:
    """Unit-variance smooth noise as a function of absolute time (in days).

    Periods run from 6 hours to 60 days; amplitudes follow the spectrum of an
    AR(1) process with e-folding time ``tau_days``, so the noise persists as that
    process does while every value depends on its own time alone.
    """
    rng = np.random.default_rng([seed, stream])
    freq = np.exp(np.linspace(np.log(1 / 60), np.log(4), n_waves)
                  + rng.uniform(-0.05, 0.05, n_waves))  # cycles per day
    weight = freq / (1 + (2 * np.pi * freq * tau_days) ** 2)  # S(f) df, log grid
    amp = np.sqrt(2 * weight / weight.sum())
    phase = rng.uniform(0, 2 * np.pi, n_waves)
    out = np.zeros(np.shape(t_days))
    for a, f, p in zip(amp, freq, phase):  # elementwise: no position-dependent sums
        out += a * np.sin(2 * np.pi * f * t_days + p)
    return out


def fast_noise(seed: int, stream: int, days: np.ndarray, shape: tuple,
               tau_steps: float) -> np.ndarray:
    """Unit-variance AR(1) noise per day, warmed up on the previous day's draws.

    Returns:
        ``(n_days, 145, *shape)``: the step before each day, then its 144 steps.
    """
    draws = {d: day_rng(seed, d, stream).standard_normal((STEPS_PER_DAY, *shape))
             for d in range(days[0] - 1, days[-1] + 1)}
    window = np.stack([np.concatenate([draws[d - 1], draws[d]]) for d in days])
    phi = np.exp(-1.0 / tau_steps)
    out = lfilter([np.sqrt(1 - phi**2)], [1.0, -phi], window, axis=1)
    return out[:, STEPS_PER_DAY - 1:]


def daily(seed: int, stream: int, days: np.ndarray, draw) -> np.ndarray:
    """Per-day draws ``draw(rng)`` stacked along a new first axis."""
    return np.stack([draw(day_rng(seed, d, stream)) for d in days])


def event_mask(seed: int, stream: int, days: np.ndarray, n_units: int, *,
               per_year: float, min_len: int, max_len: int) -> np.ndarray:
    """Boolean ``(n_days * 144, n_units)`` mask of random events.

    Events start on any day at ``per_year`` per unit and last ``min_len`` to
    ``max_len`` steps; those begun on earlier days run on into ``days``.
    """
    base = days[0] * STEPS_PER_DAY
    mask = np.zeros((len(days) * STEPS_PER_DAY, n_units), bool)
    lookback = -(-max_len // STEPS_PER_DAY)
    for day in range(days[0] - lookback, days[-1] + 1):
        rng = day_rng(seed, day, stream)
        counts = rng.poisson(per_year / 365.25, n_units)
        starts = day * STEPS_PER_DAY - base + rng.integers(0, STEPS_PER_DAY,
                                                           counts.sum())
        lengths = rng.integers(min_len, max_len, counts.sum())
        units = np.repeat(np.arange(n_units), counts)
        for unit, first, length in zip(units, starts, lengths):
            mask[max(first, 0):max(first + length, 0), unit] = True
    return mask
