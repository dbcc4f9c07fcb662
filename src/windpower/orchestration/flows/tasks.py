"""Prefect tasks shared by the flows: MLflow look-ups and run reports."""

from __future__ import annotations

import os
from typing import Any

from prefect import task
from prefect.artifacts import create_markdown_artifact, create_table_artifact

from windpower.orchestration.flows.reports import (
    INFERENCE_REPORT_KEY,
    INGEST_REPORT_KEY,
    MONITORING_REPORT_KEY,
    TRAINING_METRICS_KEY,
    TRAINING_REPORT_KEY,
    inference_markdown,
    ingest_markdown,
    metrics_table,
    mlflow_run_url,
    monitoring_markdown,
    training_markdown,
)
from windpower.orchestration.kedro.retries import (
    RETRIES,
    RETRY_DELAYS,
    retry_on_connection_error,
)

# The MLflow UI as the user's browser reaches it (not the service name).
DEFAULT_MLFLOW_UI_URL = "http://localhost:5001"


@task(
    task_run_name="link_mlflow_run",
    retries=RETRIES,
    retry_delay_seconds=RETRY_DELAYS,
    retry_condition_fn=retry_on_connection_error,
)
def link_mlflow_run(run_id: str) -> str:
    """Build the MLflow UI link of ``run_id`` (asks MLflow for its experiment)."""
    from mlflow.tracking import MlflowClient  # noqa: PLC0415 (slow import)

    experiment_id = MlflowClient().get_run(run_id).info.experiment_id
    ui_url = os.environ.get("MLFLOW_UI_URL") or DEFAULT_MLFLOW_UI_URL
    return mlflow_run_url(ui_url, experiment_id, run_id)


@task(task_run_name="publish_training_report")
def publish_training_report(summary: dict[str, Any], run_url: str | None) -> None:
    """Publish the metrics table, champion decision and MLflow link as artifacts."""
    create_markdown_artifact(
        markdown=training_markdown(summary, run_url),
        key=TRAINING_REPORT_KEY,
        description="Baseline vs model, champion decision, MLflow run",
    )
    create_table_artifact(
        table=metrics_table(summary),
        key=TRAINING_METRICS_KEY,
        description="Holdout metrics: baseline vs model",
    )


@task(task_run_name="publish_{key}")
def publish_report(key: str, markdown: str, description: str) -> None:
    """Publish one run report as a markdown artifact (one history per key)."""
    create_markdown_artifact(markdown=markdown, key=key, description=description)


def publish_inference_report(summary: dict[str, Any]) -> None:
    """Rows scored, model version and forecast summary."""
    publish_report(INFERENCE_REPORT_KEY, inference_markdown(summary),
                   "Rows scored, model version, forecast summary")


def publish_ingest_report(summary: dict[str, Any]) -> None:
    """Each file's fate and the demo farm's rows."""
    publish_report(INGEST_REPORT_KEY, ingest_markdown(summary),
                   "Files ingested or refused, demo-farm rows added")


def publish_monitoring_report(summary: dict[str, Any]) -> None:
    """Quality per horizon band and the degradation verdict."""
    ui_url = os.environ.get("MLFLOW_UI_URL") or DEFAULT_MLFLOW_UI_URL
    publish_report(MONITORING_REPORT_KEY, monitoring_markdown(summary, ui_url),
                   "Forecast quality per horizon band, degradation verdict")
