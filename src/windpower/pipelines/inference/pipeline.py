"""inference: champion model over the newest weather forecast, predictions stored."""

from kedro.pipeline import Node, Pipeline

from windpower.contract import check_turbines
from windpower.pipelines.inference.nodes import (
    add_farm_total,
    predict_power,
    select_forecast,
    summarise_inference,
)


def create_pipeline(**kwargs) -> Pipeline:
    """Create the inference pipeline."""
    return Pipeline([
        Node(func=check_turbines, inputs="turbines_raw",
             outputs="inference_turbines", name="validate_inference_turbines_node"),
        Node(func=select_forecast,
             inputs=["forecast_raw", "inference_turbines", "readings_at_issue",
                     "params:data_processing"],
             outputs="forecast_input", name="select_forecast_node"),
        Node(func=predict_power, inputs=["champion_model", "forecast_input"],
             outputs=["turbine_predictions", "champion_farm_band"],
             name="predict_power_node"),
        Node(func=add_farm_total,
             inputs=["turbine_predictions", "champion_farm_band",
                     "inference_turbines"],
             outputs=["power_predictions", "scored_forecast"],
             name="add_farm_total_node"),
        Node(func=summarise_inference, inputs="scored_forecast",
             outputs="inference_summary", name="summarise_inference_node"),
    ], tags="inference")
