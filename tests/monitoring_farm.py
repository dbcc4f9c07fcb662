"""A small known farm for the monitoring tests and benchmark.

Readings, weather forecasts and predictions of turbines that follow a known power
curve, so a test can put a 15 % loss above 8 m/s on one turbine and know exactly
what the monitoring must find.
"""

import numpy as np
import pandas as pd

from windpower.forecast_model import air_density, curve_power, normalised_wind

RATED_KW = 2000.0
HUB_M = 90.0
TEMPERATURE_C = 10.0
STEP = pd.Timedelta(minutes=10)


def known_curve(turbines: list[str]) -> dict:
    """A binned curve like ``fit_binned_curve`` returns: cubic to 12 m/s, cut-out 25."""
    centres = np.arange(0.25, 30.0, 0.5)
    table = RATED_KW * np.clip((centres - 3.0) / 9.0, 0.0, 1.0) ** 3
    table[centres >= 25.0] = 0.0
    return {"centres": centres, "curves": {t: table.copy() for t in turbines}}


def turbines_frame(turbines: list[str]) -> pd.DataFrame:
    return pd.DataFrame({"turbine_id": turbines, "rated_power_kw": RATED_KW,
                         "hub_height_m": HUB_M, "rotor_diameter_m": 100.0})


def curve_kw(curve: dict, turbine: np.ndarray, wind: np.ndarray) -> np.ndarray:
    """The curve's power at this wind, density-normalised as the monitoring does."""
    rho = air_density(np.full(len(wind), TEMPERATURE_C), np.full(len(wind), HUB_M))
    return curve_power(curve, turbine, normalised_wind(wind, rho))


def readings(turbines: list[str], start: str, days: int, seed: int, *,
             losses: dict[str, float] | None = None, curve: dict | None = None
             ) -> pd.DataFrame:
    """10-minute readings; ``losses[t]``: share of power turbine t loses >= 8 m/s.

    Power follows ``curve`` (default: ``known_curve``).
    """
    rng = np.random.default_rng(seed)
    curve = curve or known_curve(turbines)
    times = pd.date_range(start, periods=days * 144, freq=STEP, tz="UTC")
    frames = []
    for turbine in turbines:
        noise = rng.normal(0, 0.35, len(times))
        wind = np.clip(8.5 + np.cumsum(noise) * 0.15 + 3 * np.sin(
            np.arange(len(times)) / 70 + rng.uniform(0, 6)), 0.5, 24.0)
        power = curve_kw(curve, np.full(len(times), turbine), wind)
        power = power * (1 + rng.normal(0, 0.02, len(times)))
        power[wind >= 8.0] *= 1 - (losses or {}).get(turbine, 0.0)
        frames.append(pd.DataFrame({
            "turbine_id": turbine, "timestamp": times, "wind_speed": wind,
            "wind_direction": (200 + np.cumsum(rng.normal(0, 2, len(times)))) % 360,
            "ambient_temperature": TEMPERATURE_C, "power_kw": power}))
    return pd.concat(frames, ignore_index=True)


def forecasts(reads: pd.DataFrame, issue_hours: int, horizon_steps: int, seed: int,
              *, version: int = 1, quantiles: bool = True, curve: dict | None = None
              ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Weather forecasts and predictions issued every ``issue_hours``.

    Forecast wind = measured wind + an error growing with the horizon; predictions
    are the known curve at that wind, with P10/P90 at -/+ 10 % of rated.
    """
    rng = np.random.default_rng(seed)
    turbines = sorted(reads["turbine_id"].unique())
    wide = reads.pivot(index="timestamp", columns="turbine_id", values="wind_speed")
    curve = curve or known_curve(turbines)
    issues = wide.index[:: issue_hours * 6]
    weather, predictions = [], []
    for issued in issues:
        block = wide.loc[issued + STEP: issued + horizon_steps * STEP]
        steps = np.arange(1, len(block) + 1)
        for turbine in turbines:
            sigma = 0.3 + 1.5 * steps / 288
            wind = np.clip(block[turbine].to_numpy() + rng.normal(0, sigma), 0, 40)
            kw = curve_kw(curve, np.full(len(wind), turbine), wind)
            weather.append(pd.DataFrame({
                "issued_at": issued, "timestamp": block.index, "turbine_id": turbine,
                "wind_speed": wind, "wind_direction": 200.0,
                "ambient_temperature": TEMPERATURE_C}))
            band = 0.1 * RATED_KW if quantiles else np.nan
            predictions.append(pd.DataFrame({
                "issued_at": issued, "timestamp": block.index, "turbine_id": turbine,
                "model_version": version, "horizon_minutes": steps * 10,
                "predicted_power_kw": kw, "p10_power_kw": kw - band,
                "p90_power_kw": kw + band, "mlflow_run_id": "run-1"}))
    return (pd.concat(weather, ignore_index=True),
            pd.concat(predictions, ignore_index=True))


def _epoch(stamps: pd.Series) -> pd.Series:
    return (stamps - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(seconds=1)


def joined(reads: pd.DataFrame, weather: pd.DataFrame, predictions: pd.DataFrame
           ) -> pd.DataFrame:
    """What the ``monitoring_rows`` query returns, built in pandas (unit tests)."""
    rows = predictions.merge(reads, on=["turbine_id", "timestamp"]).merge(
        weather, on=["issued_at", "timestamp", "turbine_id"],
        suffixes=("", "_forecast"))
    band = pd.cut(rows["horizon_minutes"], [-1, 359, 1439, 2880],
                  labels=["0-6h", "6-24h", "24-48h"]).astype(str)
    return pd.DataFrame({
        "turbine_id": rows["turbine_id"], "model_version": rows["model_version"],
        "epoch": _epoch(rows["timestamp"]), "horizon_minutes": rows["horizon_minutes"],
        "horizon_band": band, "predicted_kw": rows["predicted_power_kw"],
        "p10_kw": rows["p10_power_kw"], "p90_kw": rows["p90_power_kw"],
        "actual_kw": rows["power_kw"], "forecast_wind": rows["wind_speed_forecast"],
        "forecast_temperature": rows["ambient_temperature_forecast"]})


def farm_total_rows(predictions: pd.DataFrame, band_kw: float = 500.0
                    ) -> pd.DataFrame:
    """What the ``monitoring_farm_rows`` query returns for the farm totals of
    ``predictions`` (P10/P90 at -/+ ``band_kw`` around the summed P50)."""
    keys = ["issued_at", "timestamp", "model_version", "horizon_minutes"]
    total = predictions.groupby(keys, as_index=False).agg(
        predicted_kw=("predicted_power_kw", "sum"),
        turbines_summed=("turbine_id", "size"))
    return pd.DataFrame({
        "model_version": total["model_version"], "epoch": _epoch(total["timestamp"]),
        "horizon_minutes": total["horizon_minutes"],
        "predicted_kw": total["predicted_kw"],
        "p10_kw": total["predicted_kw"] - band_kw,
        "p90_kw": total["predicted_kw"] + band_kw,
        "turbines_summed": total["turbines_summed"]})


def readings_rows(reads: pd.DataFrame) -> pd.DataFrame:
    """What the ``monitoring_readings`` query returns."""
    return pd.DataFrame({
        "turbine_id": reads["turbine_id"], "epoch": _epoch(reads["timestamp"]),
        "measured_wind": reads["wind_speed"],
        "measured_temperature": reads["ambient_temperature"],
        "actual_kw": reads["power_kw"]})
