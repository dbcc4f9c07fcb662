"""Fixture data for the forecast page (NOT model output): two demo sites with
the demo farm's readings and weather, and fabricated forecasts around the demo
farm's own future power, so a page has realistic shapes and known numbers.

``demo-north`` stores its farm total (turbine '*') with quantiles and is up to
date; ``demo-south`` has no farm total and its newest forecast is 12 h old (the
overview must call it stale). Also used by benchmarks/forecast_page.py.
"""

import numpy as np
import pandas as pd

from windpower.demo_farm import DemoFarm
from windpower.store.load import upsert_frame

HOUR = pd.Timedelta(hours=1)
WINDOW = pd.Timedelta(hours=48)
SITES = {"demo-north": {"name": "Demo North", "seed": 11, "turbines": 6,
                        "farm_total": True, "forecast_age_h": 0},
         "demo-south": {"name": "Demo South", "seed": 12, "turbines": 3,
                        "farm_total": False, "forecast_age_h": 12}}


def _truth(farm: DemoFarm, start, end) -> pd.DataFrame:
    """The demo farm's clean power (NaN and duplicated rows dropped)."""
    rows = farm.readings(start, end).dropna()
    return rows.drop_duplicates(["turbine_id", "timestamp"])


def _predictions(truth: pd.DataFrame, rated: pd.Series, issues, site: str,
                 farm_total: bool) -> pd.DataFrame:
    """48 h at 10 min per issue: P50 near the truth, a band widening with lead."""
    rng = np.random.default_rng(len(site))
    frames = []
    for issued in issues:
        part = truth.loc[(truth["timestamp"] > issued)
                         & (truth["timestamp"] <= issued + WINDOW)]
        lead = (part["timestamp"] - issued).dt.total_seconds().to_numpy() / 60
        cap = part["turbine_id"].map(rated).to_numpy()
        noise = rng.normal(0, 0.03 + lead / 2880 * 0.1, len(part)) * cap
        p50 = np.clip(part["power_kw"].to_numpy() + noise, 0, cap)
        spread = cap * (0.05 + 0.15 * lead / 2880)
        frames.append(pd.DataFrame({
            "site_id": site, "issued_at": issued, "timestamp": part["timestamp"],
            "turbine_id": part["turbine_id"].astype(str), "model_version": 3,
            "horizon_minutes": lead.astype(int), "predicted_power_kw": p50,
            "p10_power_kw": np.clip(p50 - spread, 0, cap),
            "p90_power_kw": np.clip(p50 + spread, 0, cap),
            "mlflow_run_id": "0123456789abcdef0123456789abcdef",
            "flow_run_id": f"00000000-0000-4000-8000-{issued.hour:012d}"}))
    turbines = pd.concat(frames, ignore_index=True)
    if not farm_total:
        return turbines
    keys = ["site_id", "issued_at", "timestamp", "model_version", "mlflow_run_id",
            "flow_run_id"]
    farm = turbines.groupby(keys, as_index=False).agg(
        horizon_minutes=("horizon_minutes", "min"),
        predicted_power_kw=("predicted_power_kw", "sum"),
        p10_power_kw=("p10_power_kw", "sum"), p90_power_kw=("p90_power_kw", "sum"))
    return pd.concat([turbines, farm.assign(turbine_id="*")], ignore_index=True)


def _quality(site: str, turbines: list[str], newest_day, days: int = 5
             ) -> pd.DataFrame:
    rng = np.random.default_rng(len(site) + 1)
    rows = [{"site_id": site, "day": (newest_day - pd.Timedelta(days=d)).date(),
             "turbine_id": t, "horizon_band": band, "model_version": 3,
             "rows": 36, "mae_kw": 80 + 40 * i + rng.uniform(0, 20),
             "bias_kw": rng.uniform(-30, 30), "rmse_kw": 150.0,
             "mae_pct_rated": 4.0, "baseline_mae_kw": 200.0, "skill": 0.5,
             "coverage_p10_p90": rng.uniform(0.6, 0.9),
             "flow_run_id": "11111111-2222-4333-8444-555555555555",
             "mlflow_run_id": None}
            # '*': the farm total's own rows, as monitoring writes them.
            for d in range(days) for t in [*turbines, "*"]
            for i, band in enumerate(("0-6h", "6-24h", "24-48h"))]
    return pd.DataFrame(rows)


def seed(conn, now: pd.Timestamp, sites: dict = SITES, issue_every_h: int = 3,
         history_h: int = 48) -> None:
    """Write the sites' rows as of ``now`` (floored to 10 min) and commit."""
    now = now.floor("10min")
    for site, spec in sites.items():
        farm = DemoFarm(seed=spec["seed"], n_turbines=spec["turbines"])
        start = now - pd.Timedelta(hours=history_h) - WINDOW
        data = farm.dataset(now, days=1, forecast_hours=48, issue_every_hours=6)
        turbines = data["turbines"].assign(site_id=site)
        turbines["turbine_id"] = turbines["turbine_id"].astype(str)
        rated = turbines.set_index("turbine_id")["rated_power_kw"]
        truth = _truth(farm, start, now + WINDOW)
        # The demo's dirt, which the contract would reject in the stack: drop
        # rows of unknown turbines and power outside [0, rated]: the contract's job.
        truth = truth.loc[truth["turbine_id"].astype(str).isin(rated.index)]
        cap = truth["turbine_id"].astype(str).map(rated)
        truth = truth.loc[truth["power_kw"].between(0, cap)]
        newest = now.floor("h") - spec["forecast_age_h"] * HOUR
        issues = pd.date_range(newest - pd.Timedelta(hours=history_h), newest,
                               freq=f"{issue_every_h}h")
        weather = data["forecast"].assign(site_id=site).dropna()
        readings = truth.loc[truth["timestamp"] <= now].assign(site_id=site)
        tables = {
            "sites": pd.DataFrame([{"site_id": site, "name": spec["name"]}]),
            "turbines": turbines,
            "readings": readings,
            "weather_forecasts": weather.drop_duplicates(
                ["issued_at", "timestamp", "turbine_id"]),
            "predictions": _predictions(truth, rated, issues, site,
                                        spec["farm_total"]),
            "forecast_quality": _quality(site, list(rated.index), now.floor("D")
                                         - pd.Timedelta(days=1))}
        for table, frame in tables.items():
            upsert_frame(conn, table, _plain_ids(frame), KEYS[table])
    conn.commit()


def _plain_ids(frame: pd.DataFrame) -> pd.DataFrame:
    if "turbine_id" not in frame:
        return frame
    return frame.assign(turbine_id=frame["turbine_id"].astype(str))


KEYS = {"sites": ["site_id"], "turbines": ["site_id", "turbine_id"],
        "readings": ["site_id", "turbine_id", "timestamp"],
        "weather_forecasts": ["site_id", "issued_at", "timestamp", "turbine_id"],
        "predictions": ["site_id", "issued_at", "timestamp", "turbine_id",
                        "model_version"],
        "forecast_quality": ["site_id", "day", "turbine_id", "horizon_band",
                             "model_version"]}
