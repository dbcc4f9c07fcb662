"""What a run tells its user: Prefect artifacts built from the Kedro summaries."""

from __future__ import annotations

from typing import Any

# Artifact keys: one history per key in the Prefect UI's Artifacts page.
TRAINING_REPORT_KEY = "training-report"
TRAINING_METRICS_KEY = "training-metrics"
INFERENCE_REPORT_KEY = "inference-report"
INGEST_REPORT_KEY = "ingest-report"
MONITORING_REPORT_KEY = "monitoring-report"
METRIC_NAMES = ("mae", "rmse", "mae_pct_rated", "r2")


def mlflow_run_url(ui_url: str, experiment_id: str, run_id: str) -> str:
    """Link to an MLflow run in the MLflow UI at ``ui_url``."""
    return f"{ui_url.rstrip('/')}/#/experiments/{experiment_id}/runs/{run_id}"


def _number(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.3f}"
    return str(value)


def metrics_table(summary: dict[str, Any]) -> list[dict[str, Any]]:
    """Rows ``metric, baseline, model`` from a ``training_summary``."""
    model = summary.get("model", {})
    baseline = summary.get("baseline", {})
    names = [n for n in METRIC_NAMES if n in model or n in baseline]
    names += sorted((set(model) | set(baseline)) - set(names))
    return [
        {"metric": name, "baseline": baseline.get(name), "model": model.get(name)}
        for name in names
    ]


def _levels(levels: dict[str, float] | None) -> str:
    """``T03 at 85.1 % of its curve above 8 m/s`` (recent_level.py), or none."""
    if not levels:
        return "none"
    return ", ".join(f"{t} at {100 * v:.1f} % of its curve" for t, v in levels.items())


def _forecast_skill(summary: dict[str, Any]) -> str:
    """The forecast as issued, per lead band, or why there is none."""
    bands = summary.get("forecast_skill") or {}
    said = f"**Trained on:** {summary.get('training_input') or 'measured wind'}.\n\n"
    if not bands:
        return said
    rows = "\n".join(
        f"| {band} | {_number(b['mae_kw'])} | {_number(b['nmae_pct'])} | "
        f"{_number(b['bias_kw'])} | {_number(b['coverage_p10_p90'])} | "
        f"{_number(b['skill_vs_persistence'])} | {_number(b['skill_vs_curve'])} |"
        for band, b in bands.items())
    return (said + "Held-out issues, scored as issued:\n\n"
            "| lead | MAE kW | NMAE % | bias kW | P10-P90 coverage | "
            "skill vs persistence | skill vs binned curve |\n"
            "|---|---|---|---|---|---|---|\n" + rows + "\n\n")


def training_markdown(summary: dict[str, Any], run_url: str | None) -> str:
    """The training report: metrics, champion decision, link to the MLflow run."""
    rows = "\n".join(
        f"| {row['metric']} | {_number(row['baseline'])} | {_number(row['model'])} |"
        for row in metrics_table(summary)
    )
    alias = summary.get("alias")
    decision = "promoted to **champion**" if alias == "champion" else (
        f"not promoted (alias: `{alias}`)"
    )
    link = f"[MLflow run {summary.get('mlflow_run_id')}]({run_url})" if run_url else (
        f"MLflow run `{summary.get('mlflow_run_id')}` (UI link unavailable)"
    )
    return (
        "# Training report\n\n"
        f"{_forecast_skill(summary)}"
        "Power curve on measured wind (held-out readings):\n\n"
        "| metric | baseline | model |\n|---|---|---|\n"
        f"{rows}\n\n"
        f"**Champion decision:** model `{summary.get('model_name')}` version "
        f"{summary.get('model_version')} {decision}. "
        f"{summary.get('decision_reason', '')}\n\n"
        f"- skill vs baseline (MAE): {_number(summary.get('skill_mae'))}\n"
        f"- candidate MAE: {_number(summary.get('candidate_mae'))}, "
        f"champion MAE: {_number(summary.get('champion_mae'))}\n"
        f"- holdout rows: {summary.get('holdout_rows')}, "
        f"rows rejected: {summary.get('rows_rejected')}\n"
        f"- served on their recent level: {_levels(summary.get('recent_levels'))}\n"
        f"- {link}\n"
    )


def inference_markdown(summary: dict[str, Any]) -> str:
    """The inference report: rows scored, model version, forecast summary."""
    per_turbine = summary.get("mean_predicted_power_kw", {})
    rows = "\n".join(
        f"| {turbine} | {_number(power)} |" for turbine, power in per_turbine.items()
    )
    return (
        "# Inference report\n\n"
        f"- rows scored: **{summary.get('rows_scored')}**, from the weather "
        f"forecast issued at {summary.get('issued_at')}\n"
        f"- model version: **{summary.get('model_version')}** "
        f"(MLflow run `{summary.get('mlflow_run_id')}`)\n"
        f"- forecast window: {summary.get('forecast_start')} to "
        f"{summary.get('forecast_end')}\n"
        f"- total predicted energy: "
        f"{_number(summary.get('total_predicted_energy_mwh'))} MWh\n\n"
        "| turbine | mean predicted power (kW) |\n|---|---|\n"
        f"{rows}\n"
    )


def ingest_markdown(summary: dict[str, Any]) -> str:
    """The ingest report: each file's fate, and what each demo site added."""
    files = "\n".join(
        f"| {f['site']} | {f['name']} | {f['kind'] or '?'} | {f['status']} "
        f"| {f['rows_accepted']} | {f['rows_rejected']} | {f['rows_written']} "
        f"| {f['error'] or ''} |"
        for f in summary["files"]
    ) or "| | (no new files) | | | | | | |"
    return (
        f"# Ingest report (as of {summary['as_of']})\n\n"
        "| site | file | kind | status | accepted | rejected | new or changed "
        f"| error |\n|---|---|---|---|---|---|---|---|\n{files}\n\n"
        + "".join(_demo_line(site, parts, summary["demo_forecasts"][site])
                  for site, parts in summary["demo_readings"].items())
    )


def _demo_line(site: str, readings: list[dict], forecasts: dict) -> str:
    """What one demo site added."""
    written = {"scada": 0, "forecast": 0, "turbines": 0}
    for part in [*readings, forecasts]:
        if part.get("kind"):
            written[part["kind"]] += part.get("rows_written", 0)
    issued = ", ".join(forecasts["issued"]) or "none"
    return (f"- demo site {site}: {written['scada']} new readings, "
            f"{written['forecast']} new weather-forecast rows (issued {issued})\n")


def _quality_lines(quality: dict[str, dict], label: str = "") -> list[str]:
    """Table rows of quality per horizon band (``label`` before each band)."""
    return [
        f"| {label}{band} | {q['rows']} | {_number(q['mae_kw'])} "
        f"| {_number(q['bias_kw'])} | {_number(q['mae_pct_rated'])} "
        f"| {_number(q['skill'])} |" for band, q in sorted(quality.items())]


def monitoring_markdown(summary: dict[str, Any], ui_url: str) -> str:
    """The monitoring report: quality per horizon band (the turbines', then the
    farm total's: its MAE % of the farm's rated power), the verdict, the evidence.
    """
    bands = "\n".join(
        _quality_lines(summary.get("quality", {}))
        + _quality_lines(summary.get("farm_quality", {}), "farm total, ")
    ) or "| (no forecast has met its actual yet) | | | | | |"
    if summary.get("degraded"):
        verdict = ("**degraded**: " + ", ".join(
            f"{t} ({', '.join(summary['reasons'].get(t, []))})"
            for t in summary["turbines"]) + "; `windpower.model.degraded` emitted")
    else:
        verdict = "no degradation"
    return (
        f"# Monitoring report (champion v{summary.get('champion_version')}, "
        f"day {summary.get('as_of_day')})\n\n"
        "| horizon | rows | MAE kW | bias kW | MAE % rated | skill vs curve |\n"
        f"|---|---|---|---|---|---|\n{bands}\n\n- verdict: {verdict}\n"
        f"- plots and metrics: [MLflow experiment windpower-monitoring]"
        f"({ui_url.rstrip('/')}/#/experiments)\n"
    )
