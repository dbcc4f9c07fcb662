"""Nodes of the monitoring pipeline: the champion's reference, forecast quality."""

import logging

import numpy as np
import pandas as pd

from windpower.errors import NoChampionError
from windpower.forecast_model import air_density, curve_power, normalised_wind

logger = logging.getLogger(__name__)
QUALITY_KEY = ["day", "turbine_id", "horizon_band", "model_version"]


def _training_window(run: dict, params: dict) -> tuple[str, str]:
    """The champion's training data window, from its run's tags (else a fallback:
    ``fallback_days`` before the run started)."""
    tags = run["tags"]
    end = tags.get(params["end_tag"])
    end = pd.Timestamp(end) if end else pd.Timestamp(run["start_time"], unit="ms")
    start = tags.get(params["start_tag"])
    start = (pd.Timestamp(start) if start
             else end - pd.Timedelta(days=params["fallback_days"]))
    return (start.tz_localize("UTC") if start.tzinfo is None else start).isoformat(), (
        end.tz_localize("UTC") if end.tzinfo is None else end).isoformat()


def champion_reference(champion: dict | None, run: dict | None, params: dict) -> dict:
    """What the live forecasts are judged against, all from the champion in MLflow.

    Args:
        champion: ``{"model", "version", "run_id"}`` (``ChampionModelDataset``).
        run: The champion's training run (``ChampionRunDataset``).
        params: ``monitoring`` parameters (``holdout_metrics``, ``training_window``).

    Returns:
        ``version``, ``run_id``, the binned power ``curve`` the model was fitted
        on, its holdout MAE (kW and % of rated) and its training window.
    """
    if champion is None or run is None:
        raise NoChampionError()
    if int(run["version"]) != int(champion["version"]):
        raise RuntimeError(f"the champion moved while loading (model version "
                           f"{champion['version']}, run of {run['version']})")
    bundle = champion["model"].unwrap_python_model().bundle
    names = params["holdout_metrics"]
    start, end = _training_window(run, params["training_window"])
    return {"version": int(champion["version"]), "run_id": champion["run_id"],
            "curve": bundle["lookup"]["curve"],
            "holdout_mae_kw": float(run["metrics"][names["mae_kw"]]),
            "holdout_mae_pct_rated": float(run["metrics"][names["mae_pct_rated"]]),
            "train_start": start, "train_end": end}


def _curve_at(curve: dict, turbine: np.ndarray, wind: np.ndarray,
              temperature: np.ndarray, hub: np.ndarray) -> np.ndarray:
    """The binned curve's power at density-normalised wind, as training scores it."""
    return curve_power(curve, turbine, normalised_wind(wind, air_density(
        temperature, hub)))


def score_forecasts(rows: pd.DataFrame, turbines: pd.DataFrame, reference: dict
                    ) -> pd.DataFrame:
    """Each joined row with its error, baseline and expected power.

    Args:
        rows: Predictions joined to readings and weather forecasts (one row per
            prediction): ``predicted_kw``, ``p10_kw``, ``p90_kw``, ``actual_kw``,
            ``forecast_wind``/``forecast_temperature``, ``measured_wind``/
            ``measured_temperature``, ``horizon_band``, ``day``, ``timestamp``.
        turbines: ``turbine_id``, ``rated_power_kw``, ``hub_height_m``.
        reference: From ``champion_reference``.

    Returns:
        Rows of the champion and earlier versions, plus ``rated_power_kw``,
        ``error_kw`` (predicted - actual), ``baseline_kw`` (the champion's curve on
        the same forecast weather) and ``expected_kw`` (the curve at the measured
        wind: what the turbine made when the champion was trained).
    """
    frame = rows.loc[rows["model_version"] <= reference["version"]]
    meta = turbines.set_index("turbine_id")
    turbine = frame["turbine_id"].to_numpy()
    rated = meta["rated_power_kw"].reindex(turbine).to_numpy(float)
    hub = meta["hub_height_m"].reindex(turbine).to_numpy(float)
    curve = reference["curve"]
    return frame.assign(
        rated_power_kw=rated,
        error_kw=frame["predicted_kw"] - frame["actual_kw"],
        baseline_kw=_curve_at(curve, turbine, frame["forecast_wind"].to_numpy(float),
                              frame["forecast_temperature"].to_numpy(float), hub),
        expected_kw=_curve_at(curve, turbine, frame["measured_wind"].to_numpy(float),
                              frame["measured_temperature"].to_numpy(float), hub))


def compute_forecast_quality(scored: pd.DataFrame) -> pd.DataFrame:
    """Forecast quality per day, turbine, horizon band and model version.

    Args:
        scored: From ``score_forecasts``.

    Returns:
        The ``forecast_quality`` rows: ``rows``, ``mae_kw``, ``bias_kw`` (mean of
        predicted - actual: > 0 over-forecasts), ``rmse_kw``, ``mae_pct_rated``,
        ``baseline_mae_kw``, ``skill`` (1 - MAE / baseline MAE) and
        ``coverage_p10_p90`` (share of actuals inside P10-P90; NULL without them).
    """
    error = scored["error_kw"].to_numpy(float)
    has_band = (scored["p10_kw"].notna() & scored["p90_kw"].notna()).to_numpy()
    actual = scored["actual_kw"].to_numpy(float)
    inside = (scored["p10_kw"].to_numpy(float) <= actual) & (
        actual <= scored["p90_kw"].to_numpy(float))
    parts = pd.DataFrame({
        **{k: scored[k].to_numpy() for k in QUALITY_KEY},
        "abs": np.abs(error), "err": error, "sq": error**2,
        "pct": 100 * np.abs(error) / scored["rated_power_kw"].to_numpy(float),
        "base": np.abs(scored["baseline_kw"].to_numpy(float) - actual),
        "banded": has_band, "inside": inside & has_band})
    sums = parts.groupby(QUALITY_KEY, sort=True).agg(
        rows=("abs", "size"), abs=("abs", "sum"), err=("err", "sum"), sq=("sq", "sum"),
        pct=("pct", "sum"), base=("base", "sum"), banded=("banded", "sum"),
        inside=("inside", "sum"))
    n = sums["rows"]
    quality = pd.DataFrame({
        "rows": n.astype(int), "mae_kw": sums["abs"] / n, "bias_kw": sums["err"] / n,
        "rmse_kw": np.sqrt(sums["sq"] / n), "mae_pct_rated": sums["pct"] / n,
        "baseline_mae_kw": sums["base"] / n})
    with np.errstate(divide="ignore", invalid="ignore"):
        skill = 1 - quality["mae_kw"] / quality["baseline_mae_kw"]
        coverage = sums["inside"] / sums["banded"]
    quality["skill"] = skill.where(quality["baseline_mae_kw"] > 0, 0.0)
    quality["coverage_p10_p90"] = coverage.where(sums["banded"] > 0)
    quality = quality.reset_index()
    quality["day"] = pd.to_datetime(quality["day"]).dt.date
    logger.info("forecast quality: %d rows from %d predictions", len(quality),
                len(scored))
    return quality
