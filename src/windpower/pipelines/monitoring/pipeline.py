"""monitoring: live forecast quality, degradation per turbine, MLflow evidence."""

from kedro.pipeline import Node, Pipeline

from windpower.pipelines.monitoring import nodes, plots, report


def create_pipeline(**kwargs) -> Pipeline:
    """Create the monitoring pipeline (its nodes open an MLflow run via the hook)."""
    p = "params:monitoring"
    return Pipeline([
        Node(func=nodes.champion_reference,
             inputs=["champion_model", "monitoring_champion_run", p],
             outputs="monitoring_reference", name="champion_reference_node"),
        Node(func=nodes.score_forecasts,
             inputs=["monitoring_rows", "monitoring_turbines", "monitoring_reference"],
             outputs="scored_forecasts", name="score_forecasts_node"),
        Node(func=nodes.score_readings,
             inputs=["monitoring_readings", "monitoring_turbines",
                     "monitoring_reference"],
             outputs="scored_readings", name="score_readings_node"),
        Node(func=nodes.score_farm_forecasts,
             inputs=["monitoring_farm_rows", "scored_forecasts"],
             outputs="scored_farm_forecasts", name="score_farm_forecasts_node"),
        Node(func=nodes.compute_forecast_quality,
             inputs=["scored_forecasts", "scored_farm_forecasts"],
             outputs="forecast_quality", name="compute_forecast_quality_node"),
        Node(func=report.detect_degradation,
             inputs=["scored_forecasts", "scored_readings",
                     "monitoring_wind_histograms", "monitoring_reference", p],
             outputs=["degradation_report", "turbine_signals"],
             name="detect_degradation_node"),
        Node(func=report.summarise_monitoring,
             inputs=["forecast_quality", "turbine_signals", "degradation_report"],
             outputs=["monitoring_metrics", "monitoring_tags", "monitoring_summary"],
             name="summarise_monitoring_node"),
        Node(func=plots.plot_forecast_vs_actual,
             inputs=["scored_forecasts", "degradation_report",
                     "params:monitoring.plots"],
             outputs="forecast_vs_actual_plot", name="plot_forecast_vs_actual_node"),
        Node(func=plots.plot_error_by_horizon,
             inputs=["scored_forecasts", "degradation_report"],
             outputs="error_by_horizon_plot", name="plot_error_by_horizon_node"),
    ], tags="monitoring")
