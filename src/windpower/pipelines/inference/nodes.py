"""Nodes of the inference pipeline: validate the forecast input, predict, summarise."""

import logging

import numpy as np
import pandas as pd

from windpower.errors import NoChampionError
from windpower.pipelines.data_processing.nodes import validate_rows
from windpower.pipelines.training.evaluation import model_input

logger = logging.getLogger(__name__)


def validate_forecast(forecast_raw: pd.DataFrame, turbines: pd.DataFrame,
                      params: dict) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """Validate forecast input rows (same rules as SCADA, weather columns only)."""
    return validate_rows(forecast_raw, turbines, params, "forecast")


def predict_power(champion: dict | None, forecast: pd.DataFrame
                  ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Predict each row's power with the champion model.

    Args:
        champion: ``{"model", "version", "run_id"}`` from the champion dataset,
            None when there is no champion (raises ``NoChampionError``).
        forecast: Valid forecast rows.

    Returns:
        ``timestamp, turbine_id, model_version, predicted_power_kw`` (P50),
        ``p10_power_kw, p90_power_kw, mlflow_run_id`` twice: for the predictions
        table and for the summary, so the summary runs only after the predictions
        are stored.
    """
    if champion is None:
        raise NoChampionError()
    predicted = champion["model"].predict(model_input(forecast))
    values = np.asarray(predicted["predicted_power_kw"], dtype=float)
    frame = pd.DataFrame({
        "timestamp": forecast["timestamp"].to_numpy(),
        "turbine_id": forecast["turbine_id"].to_numpy(),
        "model_version": int(champion["version"]),
        "predicted_power_kw": values,
        "p10_power_kw": np.asarray(predicted["p10_power_kw"], dtype=float),
        "p90_power_kw": np.asarray(predicted["p90_power_kw"], dtype=float),
        "mlflow_run_id": str(champion["run_id"]),
    })
    frame["timestamp"] = pd.to_datetime(frame["timestamp"], utc=True)
    logger.info("predicted %d rows with model version %s", len(frame),
                champion["version"])
    return frame, frame.copy()


def summarise_inference(predictions: pd.DataFrame, report: dict) -> dict:
    """The inference run's summary for the orchestrator (free output).

    Returns:
        Rows scored/rejected, model version and run, forecast window, power totals.
    """
    per_turbine = predictions.groupby("turbine_id")["predicted_power_kw"]
    summary = {
        "rows_scored": len(predictions),
        "rows_rejected": report["rows_rejected"],
        "rejected": report["rejected"],
        "model_version": int(predictions["model_version"].iloc[0]),
        "mlflow_run_id": str(predictions["mlflow_run_id"].iloc[0]),
        "forecast_start": predictions["timestamp"].min().isoformat(),
        "forecast_end": predictions["timestamp"].max().isoformat(),
        "mean_predicted_power_kw": {k: float(v) for k, v in per_turbine.mean().items()},
        "total_predicted_energy_mwh": float(
            predictions["predicted_power_kw"].sum() / 6 / 1000),
    }
    logger.info("inference summary: %s", summary)
    return summary
