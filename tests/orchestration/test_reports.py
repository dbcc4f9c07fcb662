"""Report artifacts: tables and markdown from the Kedro summaries."""

from __future__ import annotations

import pytest

from windpower.orchestration.flows.reports import (
    inference_markdown,
    metrics_table,
    mlflow_run_url,
    monitoring_markdown,
    training_markdown,
)

pytestmark = pytest.mark.unit

SUMMARY = {
    "model": {"mae": 50.0, "rmse": 70.0},
    "baseline": {"mae": 80.0, "rmse": 100.0},
    "alias": "champion",
    "decision_reason": "beats the champion",
    "model_name": "windpower",
    "model_version": 3,
    "mlflow_run_id": "abc",
}


def test_metrics_table_baseline_vs_model() -> None:
    assert metrics_table(SUMMARY) == [
        {"metric": "mae", "baseline": 80.0, "model": 50.0},
        {"metric": "rmse", "baseline": 100.0, "model": 70.0},
    ]


def test_training_markdown_decision_and_link() -> None:
    url = mlflow_run_url("http://localhost:5001/", "7", "abc")
    text = training_markdown(SUMMARY, url)
    assert url == "http://localhost:5001/#/experiments/7/runs/abc"
    assert "promoted to **champion**" in text
    assert f"]({url})" in text
    assert "| mae | 80.000 | 50.000 |" in text
    assert "served on their recent level: none" in text


def test_training_markdown_names_turbines_served_on_their_recent_level() -> None:
    text = training_markdown({**SUMMARY, "recent_levels": {"T03": 0.851}}, None)
    assert "served on their recent level: T03 at 85.1 % of its curve" in text


def test_training_markdown_not_promoted_without_link() -> None:
    text = training_markdown({**SUMMARY, "alias": "challenger"}, None)
    assert "not promoted (alias: `challenger`)" in text
    assert "UI link unavailable" in text


def test_inference_markdown_rows_version_forecast() -> None:
    text = inference_markdown({
        "rows_scored": 288, "rows_rejected": 0, "model_version": 3,
        "mlflow_run_id": "abc", "forecast_start": "2026-01-01T00:00:00+00:00",
        "forecast_end": "2026-01-02T23:50:00+00:00",
        "total_predicted_energy_mwh": 12.5,
        "mean_predicted_power_kw": {"T01": 900.0},
    })
    assert "rows scored: **288**" in text
    assert "model version: **3**" in text
    assert "| T01 | 900.000 |" in text


def test_monitoring_markdown_shows_the_farm_total_apart_from_the_turbines() -> None:
    band = {"rows": 10, "mae_kw": 100.0, "bias_kw": 5.0, "mae_pct_rated": 5.0,
            "skill": 0.2}
    text = monitoring_markdown({"champion_version": 1, "as_of_day": "2026-03-15",
                                "quality": {"0-6h": band},
                                "farm_quality": {"0-6h": band | {"mae_kw": 180.0}}},
                               "http://localhost:5001")
    assert "| 0-6h | 10 | 100.000 |" in text
    assert "| farm total, 0-6h | 10 | 180.000 |" in text
