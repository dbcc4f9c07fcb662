"""Nodes of the training pipeline."""

import numpy as np
import pandas as pd
import pytest

from windpower.pipelines.training.evaluation import (
    decide_alias,
    error_metrics,
    evaluate_intervals,
    evaluate_models,
    gate_rows,
    score_champion,
)
from windpower.pipelines.training.nodes import (
    ablate_features,
    fit_baseline,
    training_frame,
)
from windpower.pipelines.training.plots import (
    plot_error_by_bin,
    plot_power_curve,
    plot_predicted_vs_actual,
    plot_reliability,
)
from windpower.pipelines.training.summary import package_model, summarise_training

pytestmark = pytest.mark.unit


def test_fit_baseline_bins_of_half_metre(model_tables, training_params):
    curve = fit_baseline(model_tables["train_table"], training_params)
    assert np.allclose(np.diff(curve["centres"]), 0.5)
    assert set(curve["curves"]) == {"T01", "T02", "T03"}
    table = curve["curves"]["T01"]
    assert table[curve["centres"] < 2.5].max() < 50
    assert table[(curve["centres"] > 14) & (curve["centres"] < 20)].min() > 1500


def test_train_model_bundle_is_plain(trained_bundle, training_params):
    assert trained_bundle["features"] == training_params["features"]
    assert set(trained_bundle["lookup"]["turbines"]) == {"T01", "T02", "T03"}
    assert type(trained_bundle["estimator"]).__module__.startswith("sklearn")


def test_training_frame_cap_keeps_every_turbine_over_the_whole_window(
        model_tables, training_params):
    # The table is ordered by turbine, then time: a cap that kept the last rows
    # would train a large fleet's model on its last turbines only.
    train = model_tables["train_table"]
    curve = fit_baseline(train, training_params)
    full, _ = training_frame(train, curve)

    frame, target = training_frame(train, curve, max_rows=len(full) // 10)

    assert len(frame) == len(target) == len(full) // 10
    # Each turbine keeps its share of the normal rows (turbines stopped more
    # often have fewer).
    shares = frame["turbine_id"].value_counts(normalize=True)
    expected = full["turbine_id"].value_counts(normalize=True)
    assert set(shares.index) == set(expected.index)
    assert (shares - expected).abs().max() < 0.01
    for turbine, rows in frame.groupby("turbine_id", observed=True):
        times = full.loc[full["turbine_id"] == turbine, "timestamp"]
        span = times.max() - times.min()
        assert rows["timestamp"].min() - times.min() < 0.02 * span
        assert times.max() - rows["timestamp"].max() < 0.02 * span


def test_evaluate_models_beats_baseline(trained_bundle, model_tables,
                                        training_params):
    curve = trained_bundle["lookup"]["curve"]
    metrics, scored = evaluate_models(trained_bundle, curve,
                                      model_tables["holdout_table"],
                                      model_tables["data_quality_report"])
    assert metrics["model_mae"] < metrics["baseline_mae"]
    assert metrics["skill_mae"] > 0.1
    assert metrics["rows_rejected"] > 0
    assert len(scored) == metrics["holdout_rows"]
    assert (scored["model_kw"] <= scored["rated_power_kw"]).all()


def test_error_metrics_perfect_prediction():
    actual = np.array([0.0, 100.0, 200.0])
    metrics = error_metrics(actual, actual, np.full(3, 1000.0))
    assert metrics == {"mae": 0.0, "rmse": 0.0, "mae_pct_rated": 0.0, "r2": 1.0}


def test_ablate_features_reports_each_set(model_tables, training_params):
    curve = fit_baseline(model_tables["train_table"], training_params)
    out = ablate_features(model_tables["train_table"], curve, training_params)
    expected = {"curve_only"} | set(training_params["ablation"]["feature_sets"])
    assert set(out["ablation"]) == expected
    assert all(v["mae_kw"] > 0 for v in out["ablation"].values())


def test_score_champion_without_champion(model_tables, training_params):
    score = score_champion(None, model_tables["holdout_table"], {}, training_params)
    assert np.isnan(score["champion_mae"]) and score["champion_version"] == -1


class _ConstantModel:
    def predict(self, frame):
        return pd.DataFrame({"predicted_power_kw": np.zeros(len(frame))})


def test_score_champion_scores_each_turbine_on_normal_rows(model_tables,
                                                          training_params):
    holdout = model_tables["holdout_table"]
    score = score_champion({"model": _ConstantModel(), "version": 3}, holdout, {},
                           training_params)
    normal = holdout[holdout["operating_state"] == "normal"]
    per_turbine = normal["power_kw"].abs().groupby(normal["turbine_id"]).mean()
    assert score["champion_mae"] == pytest.approx(per_turbine.mean())
    assert score["champion_version"] == 3


def test_gate_rows_keep_only_the_recent_window_of_a_rebased_turbine(model_tables,
                                                                   training_params):
    holdout = model_tables["holdout_table"]
    days = training_params["recent_level"]["days"]
    rows = holdout.iloc[gate_rows(holdout, {"T02": 0.85}, training_params)]
    since = holdout["timestamp"].max() - pd.Timedelta(days=days)
    t02 = rows.loc[rows["turbine_id"] == "T02", "timestamp"]
    assert len(t02) > 0 and (t02 > since).all()
    everyone = holdout.iloc[gate_rows(holdout, {}, training_params)]
    assert (everyone["operating_state"] == "normal").all()
    assert everyone["timestamp"].min() <= since
    assert len(rows.loc[rows["turbine_id"] == "T01"]) == len(
        everyone.loc[everyone["turbine_id"] == "T01"])


@pytest.mark.parametrize(("model", "baseline", "champion", "alias"), [
    (50.0, 90.0, float("nan"), "champion"),
    (50.0, 90.0, 55.0, "champion"),
    (50.0, 90.0, 45.0, "challenger"),
    (50.0, 90.0, 50.0, "challenger"),
    (95.0, 90.0, float("nan"), "challenger"),
])
def test_decide_alias(training_params, model, baseline, champion, alias):
    decision = decide_alias({"model_mae": model, "baseline_mae": baseline},
                            {"champion_mae": champion, "champion_version": 1},
                            training_params, {"candidate_mae": model})
    assert decision["alias"] == alias


@pytest.mark.parametrize(("forecaster", "alias"), [
    ("yes", "challenger"), ("no (fallback)", "champion")])
def test_decide_alias_judges_lead_bands_of_a_forecaster_only(training_params,
                                                             forecaster, alias):
    # Losing to the binned curve at 24-48 h refuses a forecaster; a new farm's
    # measured-wind fallback (no archive before the holdout) still serves.
    forecast = {"lead_0_6h_skill_vs_curve": 0.2, "lead_24_48h_skill_vs_curve": -0.01}
    decision = decide_alias({"model_mae": 50.0, "baseline_mae": 90.0},
                            {"champion_mae": float("nan"), "champion_version": -1},
                            training_params, {"candidate_mae": 50.0}, forecast,
                            {"forecaster": forecaster})
    assert decision["alias"] == alias
    if alias == "challenger":
        assert "24-48h" in decision["reason"]


def test_plots_return_figures(trained_bundle, model_tables, training_params):
    curve = trained_bundle["lookup"]["curve"]
    _, scored = evaluate_models(trained_bundle, curve, model_tables["holdout_table"],
                                {})
    plot_params = training_params["plots"]
    for fig in (plot_power_curve(scored, curve, plot_params),
                plot_predicted_vs_actual(scored, plot_params),
                plot_error_by_bin(scored, plot_params)):
        assert fig.axes


def test_package_model_input_example_is_contract_shaped(trained_bundle,
                                                        model_tables,
                                                        training_params):
    payload = package_model(trained_bundle, {"alias": "champion"},
                            model_tables["holdout_table"], training_params)
    example = payload["input_example"]
    assert list(example.columns) == ["timestamp", "turbine_id", "wind_speed",
                                     "wind_direction", "ambient_temperature"]
    assert example["turbine_id"].nunique() == 3
    assert payload["alias"] == "champion"


def test_summarise_training_keys():
    metrics = {f"{p}_{k}": 1.0 for p in ("model", "baseline")
               for k in ("mae", "rmse", "mae_pct_rated", "r2")}
    metrics |= {"skill_mae": 0.4, "holdout_rows": 10, "rows_rejected": 2}
    decision = {"alias": "champion", "reason": "r", "candidate_mae": 1.0,
                "champion_mae": float("nan")}
    registered = {"name": "windpower", "version": 4, "run_id": "abc"}
    summary = summarise_training(metrics, decision, registered,
                                 {"ablation": {"full": {"mae_kw": 1.0}}},
                                 {"T03": 0.851})
    assert summary["model_version"] == 4 and summary["alias"] == "champion"
    assert summary["recent_levels"] == {"T03": 0.851}
    assert summary["mlflow_run_id"] == "abc"
    assert summary["ablation_mae_kw"] == {"full": 1.0}


def test_evaluate_intervals_cover_about_their_nominal_share(trained_bundle,
                                                            model_tables):
    metrics, reliability = evaluate_intervals(trained_bundle,
                                              model_tables["holdout_table"])
    # 10 days of 3 turbines and a 40-tree model: near 80 %, not to the point.
    assert 0.7 < metrics["holdout_coverage_p10_p90"] < 0.9
    assert metrics["holdout_interval_width_kw"] > 0
    assert reliability["observed"].is_monotonic_increasing
    assert np.allclose(reliability["observed"], reliability["nominal"], atol=0.12)
    assert plot_reliability(reliability).axes
