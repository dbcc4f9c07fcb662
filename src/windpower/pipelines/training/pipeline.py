"""training: binned-curve baseline vs gradient boosting, MLflow logging, registry."""

from kedro.pipeline import Node, Pipeline

from windpower.pipelines.training import evaluation, nodes, plots, recent_level, summary


def create_pipeline(**kwargs) -> Pipeline:
    """Create the training pipeline (its nodes open an MLflow run via the hook)."""
    p = "params:training"
    return Pipeline([
        Node(func=nodes.fit_baseline, inputs=["train_table", p],
             outputs="power_curve", name="fit_baseline_node"),
        Node(func=nodes.train_model,
             inputs=["train_table", "power_curve", "turbines", p,
                     "params:data_processing.features"],
             outputs="model_bundle", name="train_model_node"),
        Node(func=nodes.ablate_features, inputs=["train_table", "power_curve", p],
             outputs="feature_ablation", name="ablate_features_node"),
        Node(func=evaluation.evaluate_models,
             inputs=["model_bundle", "power_curve", "holdout_table",
                     "data_quality_report"],
             outputs=["evaluation_metrics", "holdout_predictions"],
             name="evaluate_models_node"),
        Node(func=evaluation.evaluate_intervals,
             inputs=["model_bundle", "holdout_table"],
             outputs=["interval_metrics", "holdout_reliability"],
             name="evaluate_intervals_node"),
        Node(func=plots.plot_reliability, inputs="holdout_reliability",
             outputs="reliability_plot", name="plot_reliability_node"),
        Node(func=evaluation.score_champion,
             inputs=["current_champion", "holdout_table", "recent_levels", p],
             outputs="champion_score", name="score_champion_node"),
        Node(func=evaluation.score_candidate,
             inputs=["served_bundle", "holdout_table", "recent_levels", p],
             outputs="candidate_score", name="score_candidate_node"),
        Node(func=evaluation.decide_alias,
             inputs=["evaluation_metrics", "champion_score", p, "candidate_score"],
             outputs="champion_decision", name="decide_alias_node"),
        Node(func=plots.plot_power_curve,
             inputs=["holdout_predictions", "power_curve", "params:training.plots"],
             outputs="power_curve_plot", name="plot_power_curve_node"),
        Node(func=plots.plot_predicted_vs_actual,
             inputs=["holdout_predictions", "params:training.plots"],
             outputs="predicted_vs_actual_plot", name="plot_predicted_vs_actual_node"),
        Node(func=plots.plot_error_by_bin,
             inputs=["holdout_predictions", "params:training.plots"],
             outputs="error_by_bin_plot", name="plot_error_by_bin_node"),
        Node(func=recent_level.rebase_curve,
             inputs=["model_bundle", "holdout_table", p],
             outputs=["served_bundle", "recent_levels"], name="rebase_curve_node"),
        Node(func=summary.package_model,
             inputs=["served_bundle", "champion_decision", "holdout_table", p],
             outputs="registered_model", name="package_model_node"),
        Node(func=summary.summarise_training,
             inputs=["evaluation_metrics", "champion_decision", "registered_model",
                     "feature_ablation", "recent_levels"],
             outputs="training_summary", name="summarise_training_node"),
    ], tags="training")
