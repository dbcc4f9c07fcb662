"""Nodes of the training pipeline: holdout evaluation, champion decision, summary."""

import logging

import numpy as np
import pandas as pd

from windpower.forecast_model import (
    curve_power,
    predict_power,
    predict_quantiles,
)
from windpower.model_inputs import model_input
from windpower.pipelines.training.nodes import normal_rows
from windpower.pipelines.training.recent_level import in_recent_window

logger = logging.getLogger(__name__)


def error_metrics(actual: np.ndarray, predicted: np.ndarray, rated: np.ndarray
                  ) -> dict[str, float]:
    """MAE, RMSE, MAE as % of rated power and R² of a prediction."""
    err = predicted - actual
    ss_tot = float(np.sum((actual - actual.mean()) ** 2))
    return {"mae": float(np.mean(np.abs(err))),
            "rmse": float(np.sqrt(np.mean(err**2))),
            "mae_pct_rated": float(100 * np.mean(np.abs(err) / rated)),
            "r2": float(1 - np.sum(err**2) / ss_tot) if ss_tot else 0.0}


def evaluate_models(bundle: dict, curve: dict, holdout: pd.DataFrame,
                    quality: dict) -> tuple[dict, pd.DataFrame]:
    """Score model and baseline on the same holdout rows (normal operation).

    The model scores the whole holdout batch, as in production, and is judged
    on normal-operation rows only.

    Args:
        bundle: Trained model bundle.
        curve: Baseline binned power curve.
        holdout: Holdout rows with features.
        quality: Data-quality report of the SCADA validation.

    Returns:
        Metrics dict and per-row holdout predictions (for the plots).
    """
    predicted = pd.Series(predict_power(bundle, holdout), index=holdout.index)
    rows = normal_rows(holdout)
    base = curve_power(curve, rows["turbine_id"].to_numpy(), rows["ws_norm"].to_numpy())
    scored = pd.DataFrame({
        "turbine_id": rows["turbine_id"], "ws_norm": rows["ws_norm"],
        "rated_power_kw": rows["rated_power_kw"], "actual_kw": rows["power_kw"],
        "model_kw": predicted.loc[rows.index], "baseline_kw": base})
    args = (scored["actual_kw"].to_numpy(), scored["rated_power_kw"].to_numpy())
    model = error_metrics(args[0], scored["model_kw"].to_numpy(), args[1])
    baseline = error_metrics(args[0], scored["baseline_kw"].to_numpy(), args[1])
    metrics = {f"model_{k}": v for k, v in model.items()}
    metrics |= {f"baseline_{k}": v for k, v in baseline.items()}
    metrics["skill_mae"] = 1 - model["mae"] / baseline["mae"]
    metrics["skill_rmse"] = 1 - model["rmse"] / baseline["rmse"]
    metrics["holdout_rows"] = len(scored)
    metrics |= {k: v for k, v in quality.items() if k != "rejected"}
    metrics |= {f"rejected_{k}": v for k, v in quality.get("rejected", {}).items()}
    logger.info("model MAE %.1f kW vs baseline %.1f kW (skill %.3f)",
                model["mae"], baseline["mae"], metrics["skill_mae"])
    return metrics, scored.reset_index(drop=True)


def evaluate_intervals(bundle: dict, holdout: pd.DataFrame
                       ) -> tuple[dict, pd.DataFrame]:
    """Coverage of the P10-P90 interval and of every quantile, on the holdout.

    Scored on the whole holdout batch, judged on normal-operation rows.

    Args:
        bundle: Trained model bundle (with conformal ``intervals``).
        holdout: Holdout rows with features.

    Returns:
        ``{"holdout_coverage_p10_p90", "holdout_interval_width_kw",
        "holdout_interval_width_pct_rated"}`` and the reliability table
        (``nominal``: quantile level, ``observed``: share of rows below it).
    """
    quantiles = predict_quantiles(bundle, holdout)
    rows = normal_rows(holdout)
    at = holdout.index.get_indexer(rows.index)
    rated = rows["rated_power_kw"].to_numpy()
    raw = rows["power_kw"].to_numpy()
    # Quantiles are of production, clipped to [0, rated]: an idling turbine's -5 kW
    # counts as 0 kW (unclipped, as ``holdout_coverage_p10_p90_unclipped``).
    actual = np.clip(raw, 0.0, rated)
    low, high = quantiles[0.1][at], quantiles[0.9][at]
    width = high - low
    metrics = {
        "holdout_coverage_p10_p90": float(np.mean((low <= actual) & (actual <= high))),
        "holdout_coverage_p10_p90_unclipped": float(
            np.mean((low <= raw) & (raw <= high))),
        "holdout_interval_width_kw": float(np.mean(width)),
        "holdout_interval_width_pct_rated": float(100 * np.mean(width / rated))}
    levels = sorted(quantiles)
    # Ties (0 kW forecast and reading in calm wind, rated in strong) count half:
    # otherwise the clip's point masses push every level's share up.
    reliability = pd.DataFrame({"nominal": levels, "observed": [
        float(np.mean((actual < quantiles[level][at])
                      + 0.5 * (actual == quantiles[level][at]))) for level in levels]})
    logger.info("P10-P90 covers %.3f of holdout rows, mean width %.1f kW",
                metrics["holdout_coverage_p10_p90"],
                metrics["holdout_interval_width_kw"])
    return metrics, reliability


def gate_rows(holdout: pd.DataFrame, levels: dict[str, float], params: dict
              ) -> np.ndarray:
    """Positions of the holdout rows the champion gate judges on.

    Normal-operation rows; for a turbine served on its recent level
    (``recent_level.py``) only its recent window: its older rows show a turbine
    that no longer exists, and on them the old level would win by construction.

    Args:
        holdout: Holdout rows.
        levels: ``rebase_curve``'s factors of the rebased turbines.
        params: Training parameters (``recent_level.days``).
    """
    recent = in_recent_window(holdout, params["recent_level"])
    old = holdout["turbine_id"].isin(list(levels)) & ~recent
    return holdout.index.get_indexer(normal_rows(holdout.loc[~old]).index)


def _gate_mae(predicted: np.ndarray, holdout: pd.DataFrame, at: np.ndarray) -> float:
    """Mean over turbines of each turbine's MAE on the gate rows ``at``.

    Each turbine counts once, however few rows it has in the gate: a rebased
    turbine's one recent day weighs as much as a healthy one's holdout.
    """
    err = np.abs(predicted[at] - holdout["power_kw"].to_numpy()[at])
    turbine = holdout["turbine_id"].to_numpy()[at]
    return float(pd.Series(err).groupby(turbine).mean().mean())


def score_candidate(bundle: dict, holdout: pd.DataFrame, levels: dict[str, float],
                    params: dict) -> dict:
    """Gate MAE of the candidate as it will be served (curve rebased), scored as
    ``score_champion`` scores the champion (contract rows in), like with like.

    Returns:
        ``{"candidate_mae": float}``.
    """
    predicted = predict_power(bundle, model_input(holdout))
    return {"candidate_mae": _gate_mae(predicted, holdout,
                                       gate_rows(holdout, levels, params))}


def score_champion(champion: dict | None, holdout: pd.DataFrame,
                   levels: dict[str, float], params: dict) -> dict:
    """Gate MAE of the current champion on the current holdout (NaN when none).

    Args:
        champion: ``{"model", "version", "run_id"}`` or None.
        holdout: Holdout rows.
        levels: The candidate's rebased turbines (``gate_rows``).
        params: Training parameters.

    Returns:
        ``{"champion_mae": float, "champion_version": int}`` (NaN / -1 if none).
    """
    if champion is None:
        return {"champion_mae": float("nan"), "champion_version": -1}
    predicted = champion["model"].predict(model_input(holdout))
    values = np.asarray(predicted).reshape(len(holdout), -1)[:, 0]
    return {"champion_mae": _gate_mae(values, holdout,
                                      gate_rows(holdout, levels, params)),
            "champion_version": int(champion["version"])}


def _band_losing_to_curve(forecast: dict | None) -> str | None:
    """The first lead-time band where the forecast does not beat the binned curve
    on the forecast wind (None: it beats it in every band, or no forecaster)."""
    for name, value in (forecast or {}).items():
        if name.endswith("_skill_vs_curve") and not value > 0:
            return name.removeprefix("lead_").removesuffix("_skill_vs_curve")
    return None


def decide_alias(metrics: dict, champion: dict, params: dict, served: dict,  # noqa: PLR0913, PLR0917 (one input per node dataset)
                 forecast: dict | None = None, tags: dict | None = None) -> dict:
    """Champion only if the candidate beats the baseline and the current champion,
    and, as a forecaster, the binned curve on forecast wind in every lead band.

    A candidate without a forecaster (no forecast archive before the holdout: a
    new farm) is the power curve on forecast wind, and is not judged by lead band:
    refused there, a new farm would get no forecast at all until its archive is
    longer than the holdout.

    Args:
        metrics: The candidate's holdout metrics (``model_mae``, ``baseline_mae``).
        champion: ``score_champion``'s result.
        params: Training parameters (``champion.min_improvement_kw``).
        served: ``score_candidate``'s result: the candidate as served, on the
            same gate rows as the champion.
        forecast: ``evaluate_forecasts``'s metrics on held-out issues (empty or
            None without a forecast archive).
        tags: ``training_input_tags`` (``forecaster``: "yes" or "no (fallback)").

    Returns:
        ``{"alias", "candidate_mae", "champion_mae", "baseline_mae", "reason"}``.
    """
    candidate = served["candidate_mae"]
    current = champion["champion_mae"]
    margin = params["champion"]["min_improvement_kw"]
    fallback = (tags or {}).get("forecaster", "yes") != "yes"
    losing = None if fallback else _band_losing_to_curve(forecast)
    if metrics["model_mae"] >= metrics["baseline_mae"]:
        alias, reason = "challenger", "does not beat the binned power curve"
    elif losing is not None:
        alias, reason = "challenger", (f"does not beat the binned curve on forecast "
                                       f"wind at {losing.replace('_', '-')} ahead")
    elif np.isnan(current):
        alias, reason = "champion", "no champion registered yet"
    elif candidate < current - margin:
        alias, reason = "champion", "beats the current champion on this holdout"
    else:
        alias, reason = "challenger", "does not beat the current champion"
    logger.info("candidate MAE %.2f vs champion %.2f: %s (%s)", candidate, current,
                alias, reason)
    return {"alias": alias, "reason": reason, "candidate_mae": candidate,
            "champion_mae": current, "baseline_mae": metrics["baseline_mae"],
            "previous_champion_version": champion["champion_version"]}
