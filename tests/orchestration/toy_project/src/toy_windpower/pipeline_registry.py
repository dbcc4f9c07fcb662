"""Toy pipelines named like windpower's, with the same free summary outputs."""

import logging

from kedro.pipeline import Node, Pipeline

logger = logging.getLogger("kedro.toy")


def active_slots(limit: str) -> int | None:
    """Slots of the global concurrency limit ``limit`` taken while this node runs
    (None: no limit named): a flow holding its one-run slot shows 1."""
    if not limit:
        return None
    from prefect import get_client  # noqa: PLC0415

    with get_client(sync_client=True) as client:
        return client.read_global_concurrency_limit_by_name(limit).active_slots


def make_readings(n_rows: int) -> list[float]:
    """Make ``n_rows`` wind speeds."""
    logger.info("toy: making %d readings", n_rows)
    return [float(i) for i in range(n_rows)]


def fit_model(readings: list[float], fail: bool) -> dict[str, float]:
    """Score a model and a baseline on the readings; fail on request."""
    if fail:
        raise ValueError("toy model refused to fit")
    mean = sum(readings) / len(readings)
    return {"model_mae": mean / 4, "baseline_mae": mean / 2}


def summarise_training(metrics: dict[str, float], mlflow_run_id: str, slot: str
                       ) -> dict:
    """The training summary, shaped like windpower's ``training_summary``."""
    return {
        "slot_in_use": active_slots(slot),
        "model": {"mae": metrics["model_mae"]},
        "baseline": {"mae": metrics["baseline_mae"]},
        "skill_mae": 0.5,
        "alias": "champion",
        "decision_reason": "first model",
        "model_name": "toy",
        "model_version": 1,
        "mlflow_run_id": mlflow_run_id,
    }


def summarise_inference(readings: list[float], slot: str) -> dict:
    """The inference summary, shaped like windpower's ``inference_summary``."""
    return {
        "slot_in_use": active_slots(slot),
        "rows_scored": len(readings),
        "rows_rejected": 0,
        "model_version": 1,
        "mlflow_run_id": "no-run",
        "mean_predicted_power_kw": {"T01": sum(readings)},
        "total_predicted_energy_mwh": 0.1,
    }


def summarise_monitoring(readings: list[float], degraded_turbines: list[str],
                         slot: str) -> dict:
    """The monitoring summary, shaped like windpower's ``monitoring_summary``:
    degraded when ``degraded_turbines`` is not empty."""
    return {
        "slot_in_use": active_slots(slot),
        "degraded": bool(degraded_turbines), "turbines": degraded_turbines,
        "reasons": {t: ["concept"] for t in degraded_turbines},
        "evidence": {t: {"concept": {"value": 0.2, "samples": len(readings)}}
                     for t in degraded_turbines},
        "champion_version": 1, "as_of_day": "2026-01-01", "quality": {},
    }


def register_pipelines() -> dict[str, Pipeline]:
    """Register ``data_processing``, ``training``, ``inference``, ``monitoring``."""
    data_processing = Pipeline([
        Node(func=make_readings, inputs="params:n_rows", outputs="readings",
             name="make_readings_node"),
    ])
    training = Pipeline([
        Node(func=fit_model, inputs=["readings", "params:fail"], outputs="metrics",
             name="fit_model_node"),
        Node(func=summarise_training,
             inputs=["metrics", "params:mlflow_run_id", "params:slot"],
             outputs="training_summary", name="summarise_training_node"),
    ])
    inference = Pipeline([
        Node(func=make_readings, inputs="params:n_rows", outputs="forecast",
             name="read_forecast_node"),
        Node(func=summarise_inference, inputs=["forecast", "params:slot"],
             outputs="inference_summary", name="summarise_inference_node"),
    ])
    monitoring = Pipeline([
        Node(func=make_readings, inputs="params:n_rows", outputs="actuals",
             name="read_actuals_node"),
        Node(func=summarise_monitoring,
             inputs=["actuals", "params:degraded_turbines", "params:slot"],
             outputs="monitoring_summary", name="summarise_monitoring_node"),
    ])
    return {
        "data_processing": data_processing,
        "training": training,
        "inference": inference,
        "monitoring": monitoring,
        "__default__": data_processing + training,
    }
