"""data_processing: contract validation, operation flags, features, time split."""

from kedro.pipeline import Node, Pipeline

from windpower.pipelines.data_processing.nodes import (
    build_forecast_pairs,
    build_model_input,
    flag_operation,
    split_by_time,
    split_forecast_pairs,
    validate_readings,
    validate_turbines,
)


def create_pipeline(**kwargs) -> Pipeline:
    """Create the data_processing pipeline."""
    p = "params:data_processing"
    return Pipeline([
        Node(func=validate_turbines, inputs="turbines_raw", outputs="turbines",
             name="validate_turbines_node"),
        Node(func=validate_readings, inputs=["scada_raw", "turbines", p],
             outputs=["turbine_readings", "rejected_readings", "data_quality_report"],
             name="validate_readings_node"),
        Node(func=flag_operation, inputs=["turbine_readings", "turbines", p],
             outputs="flagged_readings", name="flag_operation_node"),
        Node(func=build_model_input, inputs=["flagged_readings", "turbines", p],
             outputs="model_input_table", name="build_model_input_node"),
        Node(func=split_by_time, inputs=["model_input_table", p],
             outputs=["train_table", "holdout_table"], name="split_by_time_node"),
        Node(func=build_forecast_pairs,
             inputs=["forecast_archive", "flagged_readings", "turbines", p],
             outputs="forecast_pairs", name="build_forecast_pairs_node"),
        Node(func=split_forecast_pairs, inputs=["forecast_pairs", p],
             outputs=["train_pairs", "holdout_pairs"],
             name="split_forecast_pairs_node"),
    ], tags="data_processing")
