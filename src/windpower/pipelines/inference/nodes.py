"""Nodes of the inference pipeline: the newest weather forecast, predict, summarise."""

import logging

import numpy as np
import pandas as pd

from windpower.contract import check_file
from windpower.contract.split import default_issue_time
from windpower.errors import NoChampionError, NoForecastError
from windpower.farm_total import farm_rows
from windpower.model_inputs import measured_at_issue, model_input

logger = logging.getLogger(__name__)


def select_forecast(forecast_raw: pd.DataFrame, turbines: pd.DataFrame,
                    readings: pd.DataFrame, params: dict) -> pd.DataFrame:
    """The weather forecast rows to score: the newest issue, known turbines, after
    the issue time, with what was measured before the issue.

    The rows were checked against the data contract when they were ingested. A
    forecast file without ``issued_at`` (``kedro run`` on files) counts as issued
    one step before its first time, as the ingest flow counts it; a file of many
    issues (an archive) gives its newest.

    Args:
        forecast_raw: The newest issued forecast (``issued_at`` + contract columns).
        turbines: Validated turbine table.
        readings: Readings of the hours before ``as_of`` (``measured_at_issue``).
        params: ``forecast_pairs`` parameters (``at_issue_max_age_minutes``).

    Returns:
        The rows to score, sorted by turbine and time, with the at-issue columns.
    """
    if forecast_raw.attrs.get("contract_error"):
        check_file(forecast_raw, "forecast")  # a refused input file: say why
    if forecast_raw.empty:
        raise NoForecastError()
    if "issued_at" not in forecast_raw:
        stamps = pd.to_datetime(forecast_raw["timestamp"], utc=True)
        forecast_raw = forecast_raw.assign(
            timestamp=stamps, issued_at=default_issue_time(stamps))
    issued = pd.to_datetime(forecast_raw["issued_at"], utc=True)
    forecast_raw = forecast_raw.assign(
        issued_at=issued, timestamp=pd.to_datetime(forecast_raw["timestamp"], utc=True))
    known = forecast_raw["turbine_id"].isin(turbines["turbine_id"])
    ahead = forecast_raw["timestamp"] > forecast_raw["issued_at"]
    newest = issued == issued.max()
    rows = forecast_raw.loc[known & ahead & newest].reset_index(drop=True)
    return measured_at_issue(rows, readings,
                             params["forecast_pairs"]["at_issue_max_age_minutes"])


def predict_power(champion: dict | None, forecast: pd.DataFrame
                  ) -> tuple[pd.DataFrame, dict | None]:
    """Predict each row's power (P10, P50, P90) with the champion model.

    Args:
        champion: ``{"model", "version", "run_id", "farm_band"}`` from the
            champion dataset, None when there is no champion (raises
            ``NoChampionError``).
        forecast: Forecast rows to score, with their ``issued_at``.

    Returns:
        The turbines' ``predictions`` rows (issued_at, timestamp, turbine_id,
        model_version, horizon_minutes, predicted_power_kw (P50),
        p10/p90_power_kw, mlflow_run_id), and the champion's farm band.
    """
    if champion is None:
        raise NoChampionError()
    predicted = champion["model"].predict(model_input(forecast))
    issued = pd.to_datetime(forecast["issued_at"], utc=True)
    stamps = pd.to_datetime(forecast["timestamp"], utc=True)
    frame = pd.DataFrame({
        "issued_at": issued.to_numpy(),
        "timestamp": stamps.to_numpy(),
        "turbine_id": forecast["turbine_id"].to_numpy(),
        "model_version": int(champion["version"]),
        "horizon_minutes": ((stamps - issued).dt.total_seconds() // 60).astype(int),
        "predicted_power_kw": _column(predicted, "predicted_power_kw"),
        "p10_power_kw": _column(predicted, "p10_power_kw"),
        "p90_power_kw": _column(predicted, "p90_power_kw"),
        "mlflow_run_id": str(champion["run_id"]),
    })
    for column in ("issued_at", "timestamp"):
        frame[column] = pd.to_datetime(frame[column], utc=True)
    logger.info("predicted %d rows with model version %s", len(frame),
                champion["version"])
    return frame, champion.get("farm_band")


def add_farm_total(predictions: pd.DataFrame, band: dict | None,
                   turbines: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Add the site's farm total (turbine ``*``, its own calibrated band) to the
    turbines' predictions.

    Returns:
        Every row to store, and the turbines' rows for the summary (so the
        summary runs only after the predictions are stored).
    """
    rated = turbines.set_index("turbine_id")["rated_power_kw"]
    total = farm_rows(predictions, rated, band)
    return pd.concat([predictions, total], ignore_index=True), predictions.copy()


def _column(predicted: pd.DataFrame, name: str) -> np.ndarray:
    """One output column of the model; NaN when a model does not give it."""
    if name in predicted:
        return np.asarray(predicted[name], dtype=float)
    return np.full(len(predicted), np.nan)


def summarise_inference(predictions: pd.DataFrame) -> dict:
    """The inference run's summary for the orchestrator (free output).

    Returns:
        Rows scored, model version and run, forecast issue and window, totals.
    """
    per_turbine = predictions.groupby("turbine_id")["predicted_power_kw"]
    summary = {
        "rows_scored": len(predictions),
        "model_version": int(predictions["model_version"].iloc[0]),
        "mlflow_run_id": str(predictions["mlflow_run_id"].iloc[0]),
        "issued_at": predictions["issued_at"].iloc[0].isoformat(),
        "forecast_start": predictions["timestamp"].min().isoformat(),
        "forecast_end": predictions["timestamp"].max().isoformat(),
        "mean_predicted_power_kw": {k: float(v) for k, v in per_turbine.mean().items()},
        "total_predicted_energy_mwh": float(
            predictions["predicted_power_kw"].sum() / 6 / 1000),
    }
    logger.info("inference summary: %s", summary)
    return summary
