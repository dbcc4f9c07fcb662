"""Assemble the default data set: SCADA history with dirt, turbines, forecast input."""

import numpy as np
import pandas as pd

from windpower.generator import (
    RATED_WS,
    STEPS_PER_DAY,
    make_turbines,
    simulate_power,
    simulate_weather,
)


def _events(rng, n: int, per_year: float, min_len: int, max_len: int) -> np.ndarray:
    """Boolean mask of random events (start rate per year, length in steps)."""
    mask = np.zeros(n, bool)
    n_events = rng.poisson(per_year * n / (365 * STEPS_PER_DAY))
    for start, length in zip(
        rng.integers(0, n, n_events), rng.integers(min_len, max_len, n_events)
    ):
        mask[start:start + length] = True
    return mask


def _operate(power, weather, turbines, rng) -> tuple[np.ndarray, np.ndarray]:
    """Apply stoppages, curtailment and icing; return power and pitch."""
    n, k = power.shape
    ws = weather["true_ws"]
    rated = turbines["rated_power_kw"].to_numpy()[None, :]
    pitch = np.clip((ws - RATED_WS) * 1.6, 0, None) + rng.normal(0, 0.3, (n, k))
    stop = np.column_stack([_events(rng, n, 8, 12, 432) for _ in range(k)])
    curtail = _events(rng, n, 12, 12, 72)[:, None] & np.ones(k, bool)
    cap = 0.55 * rated
    capped = curtail & (power > cap)
    icing = (_events(rng, n, 25, 36, 288) & (weather["temp"] < 1.0))[:, None]
    power = np.where(icing, power * 0.45, power)
    pitch = np.where(capped, pitch + 6 + 4 * rng.random((n, k)), pitch)
    power = np.where(capped, cap, power)
    power = np.where(stop, -3.0, power)
    pitch = np.where(stop, 88 + 2 * rng.random((n, k)), pitch)
    return power, pitch


def _long_frame(times, turbines, columns: dict) -> pd.DataFrame:
    """Wide (time x turbine) arrays to one row per turbine per timestamp."""
    ids = turbines["turbine_id"].to_numpy()
    frame = pd.DataFrame({
        "timestamp": np.repeat(times.to_numpy(), len(ids)),
        "turbine_id": np.tile(ids, len(times)),
    })
    for name, values in columns.items():
        arr = np.asarray(values)
        wide = arr if arr.ndim == 2 else np.repeat(arr[:, None], len(ids), axis=1)
        frame[name] = wide.reshape(-1)
    return frame


def _add_dirt(scada: pd.DataFrame, rng) -> pd.DataFrame:
    """Gaps, NaNs, out-of-range values, an unknown turbine and duplicates."""
    n = len(scada)
    keep = ~_events(rng, n, 40, 1, 36)
    dirty = scada.loc[keep].reset_index(drop=True)
    m = len(dirty)
    for col in ("wind_speed", "power_kw", "ambient_temperature"):
        dirty.loc[rng.random(m) < 0.002, col] = np.nan
    bad = rng.random(m) < 0.0005
    dirty.loc[bad, "wind_speed"] = rng.choice([-2.0, 99.0], bad.sum())
    bad = rng.random(m) < 0.0003
    dirty.loc[bad, "wind_direction"] = 400.0
    bad = rng.random(m) < 0.0003
    dirty.loc[bad, "power_kw"] = dirty.loc[bad, "power_kw"].abs() * 3 + 9000
    unknown = dirty.sample(20, random_state=rng.integers(1 << 31)).assign(
        turbine_id="T99")
    dupes = dirty.sample(frac=0.002, random_state=rng.integers(1 << 31))
    out = pd.concat([dirty, unknown, dupes], ignore_index=True)
    return out.sort_values(["timestamp", "turbine_id"], kind="stable").reset_index(
        drop=True)


def generate_dataset(seed: int, end: pd.Timestamp, days: int, n_turbines: int,
                     forecast_hours: int) -> dict[str, pd.DataFrame]:
    """Generate the default SCADA history, turbine table and forecast input.

    Args:
        seed: Random seed; same seed and ``end`` give identical data.
        end: UTC end of history (floored to 10 min); forecast starts there.
        days: Length of the history in days.
        n_turbines: Number of turbines in the farm.
        forecast_hours: Length of the forecast horizon in hours.

    Returns:
        ``{"scada": ..., "turbines": ..., "forecast": ...}`` frames.
    """
    rng = np.random.default_rng(seed)
    end = pd.Timestamp(end).tz_convert("UTC").floor("10min")
    n_hist = days * STEPS_PER_DAY
    n_fc = forecast_hours * 6
    times = pd.date_range(end=end + pd.Timedelta(minutes=10 * n_fc),
                          periods=n_hist + n_fc, freq="10min")
    turbines = make_turbines(n_turbines, rng)
    weather = simulate_weather(times, n_turbines, rng)
    power, pitch = _operate(simulate_power(weather, turbines, rng), weather,
                            turbines, rng)
    columns = {
        "wind_speed": weather["measured_ws"].round(2),
        "wind_direction": (weather["direction"] + rng.normal(0, 3, times.shape)) % 360,
        "ambient_temperature": weather["temp"].round(2),
        "power_kw": power.round(1),
        "pitch_angle": pitch.round(2),
    }
    full = _long_frame(times, turbines, columns)
    cut = full["timestamp"] <= end
    scada = _add_dirt(full.loc[cut].reset_index(drop=True), rng)
    forecast = full.loc[~cut, ["timestamp", "turbine_id", "wind_speed",
                               "wind_direction", "ambient_temperature"]]
    return {"scada": scada, "turbines": turbines,
            "forecast": forecast.reset_index(drop=True)}
