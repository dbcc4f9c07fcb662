"""The dirt real SCADA carries, drawn per day: gaps, NaNs, out-of-range values,
an unknown turbine ``T99`` and rare exact duplicates. Rows come out one per
turbine per stamp."""

import numpy as np
import pandas as pd

from windpower.demo_farm import streams as st
from windpower.demo_farm.physics import STEPS_PER_DAY

UNKNOWN_TURBINE = "T99"
NAN_RATE, BAD_WIND_RATE, BAD_DIRECTION_RATE, BAD_POWER_RATE = 0.002, 0.0005, 3e-4, 3e-4
DUPLICATE_RATE, UNKNOWN_PER_DAY = 0.002, 0.33
GAPS_PER_YEAR, GAP_MAX_STEPS = 40, 36


def soil(seed: int, days: np.ndarray, columns: dict) -> dict:
    """NaNs and out-of-range values in ``(n_steps, n_turbines)`` columns.

    Returns:
        New arrays; the inputs are left untouched.
    """
    k = columns["power_kw"].shape[1]
    u = st.daily(seed, st.DIRT, days,
                 lambda rng: rng.random((STEPS_PER_DAY, k, 6))).reshape(-1, k, 6)
    out = {name: values.copy() for name, values in columns.items()}
    for i, name in enumerate(("wind_speed", "power_kw", "ambient_temperature")):
        out[name][u[..., i] < NAN_RATE] = np.nan
    bad = u[..., 3] < BAD_WIND_RATE
    out["wind_speed"][bad] = np.where(u[..., 3][bad] < BAD_WIND_RATE / 2, -2.0, 99.0)
    out["wind_direction"][u[..., 4] < BAD_DIRECTION_RATE] = 400.0
    bad = u[..., 5] < BAD_POWER_RATE
    out["power_kw"][bad] = np.abs(out["power_kw"][bad]) * 3 + 9000
    return out


def row_picks(seed: int, days: np.ndarray, k: int) -> tuple[np.ndarray, ...]:
    """Flat (step x turbine) indices of rows kept, duplicated and copied to T99."""
    gaps = st.event_mask(seed, st.GAPS, days, k, per_year=GAPS_PER_YEAR, min_len=1,
                         max_len=GAP_MAX_STEPS)
    keep = ~gaps.reshape(-1)
    dupes, unknown = [], []
    for i, day in enumerate(days):
        rng = st.day_rng(seed, day, st.EXTRAS)
        base = i * STEPS_PER_DAY * k
        dupe = rng.random(STEPS_PER_DAY * k) < DUPLICATE_RATE
        dupes.append(base + np.flatnonzero(dupe))
        unknown.append(base + rng.integers(0, STEPS_PER_DAY * k,
                                           rng.poisson(UNKNOWN_PER_DAY)))
    dupes = np.concatenate(dupes)
    return np.flatnonzero(keep), dupes[keep[dupes]], np.concatenate(unknown)


def long_frame(seed: int, days: np.ndarray, ids: np.ndarray, columns: dict
               ) -> pd.DataFrame:
    """Rows in (timestamp, turbine_id) order from dirty wide columns, with gaps,
    duplicates and T99 rows; ``_step`` holds each row's 10-minute step."""
    k = len(ids)
    kept, dupes, unknown = row_picks(seed, days, k)
    rows = np.concatenate([kept, dupes, unknown])
    names = np.concatenate([ids[rows[: len(rows) - len(unknown)] % k],
                            np.full(len(unknown), UNKNOWN_TURBINE)])
    steps = days[0] * STEPS_PER_DAY + rows // k
    order_ids = np.unique(np.append(ids, UNKNOWN_TURBINE))
    order = np.lexsort((np.searchsorted(order_ids, names), steps))  # stable
    frame = pd.DataFrame({"_step": steps[order], "turbine_id": names[order]})
    for name, values in columns.items():
        frame[name] = values.reshape(-1)[rows[order]]
    frame.insert(0, "timestamp", st.stamps(frame["_step"].to_numpy()))
    return frame
