"""Nodes of the training pipeline that package and summarise the model."""

import math

import pandas as pd

from windpower.model_inputs import model_input


def package_model(bundle: dict, decision: dict, holdout: pd.DataFrame,
                  params: dict) -> dict:
    """What the registered-model dataset logs: bundle, alias and input example.

    Args:
        bundle: Trained model bundle.
        decision: Champion decision.
        holdout: Holdout rows (the input example is its first hours, all turbines).
        params: ``input_example_steps`` (10-minute steps in the example).

    Returns:
        ``{"bundle", "alias", "input_example"}``.
    """
    first = holdout["timestamp"].min()
    span = pd.Timedelta(minutes=10 * (params["input_example_steps"] - 1))
    example = holdout.loc[holdout["timestamp"] <= first + span]
    return {"bundle": bundle, "alias": decision["alias"],
            "input_example": model_input(example).reset_index(drop=True)}


def _finite_or_none(value: float) -> float | None:
    """NaN (no champion to compare with) becomes None, which JSON can carry."""
    return None if value is None or math.isnan(value) else float(value)


def summarise_training(  # noqa: PLR0917 (Kedro passes a node's inputs by position)
        metrics: dict, decision: dict, registered: dict,
                       ablation: dict, recent_levels: dict[str, float],
                       forecast_report: dict | None = None) -> dict:
    """The training run's summary for the orchestrator (free output).

    Returns:
        Model vs baseline metrics, the champion decision, the registration and
        the turbines served on their recent level.
    """
    keys = ("mae", "rmse", "mae_pct_rated", "r2")
    return {
        "model": {k: metrics[f"model_{k}"] for k in keys},
        "baseline": {k: metrics[f"baseline_{k}"] for k in keys},
        "skill_mae": metrics["skill_mae"],
        "alias": decision["alias"],
        "decision_reason": decision["reason"],
        "candidate_mae": decision["candidate_mae"],
        "champion_mae": _finite_or_none(decision["champion_mae"]),
        "previous_champion_version": decision.get("previous_champion_version", -1),
        "model_name": registered["name"],
        "model_version": registered["version"],
        "mlflow_run_id": registered["run_id"],
        "holdout_rows": metrics["holdout_rows"],
        "rows_rejected": metrics.get("rows_rejected", 0),
        "ablation_mae_kw": {k: v["mae_kw"] for k, v in ablation["ablation"].items()},
        "recent_levels": recent_levels,
        "training_input": (forecast_report or {}).get("training_input"),
        "forecast_skill": {
            band: {k: row[k] for k in ("mae_kw", "nmae_pct", "bias_kw",
                                       "coverage_p10_p90", "skill_vs_persistence",
                                       "skill_vs_curve")}
            for band, row in (forecast_report or {}).get("bands", {}).items()},
    }
