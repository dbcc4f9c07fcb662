"""A turbine that changed lately is served on its recent level (recent_level.py)."""

import numpy as np
import pandas as pd
import pytest

from windpower.forecast_model import predict_frame, predict_power
from windpower.model_inputs import model_input
from windpower.pipelines.training.evaluation import (
    decide_alias,
    score_candidate,
    score_champion,
)
from windpower.pipelines.training.recent_level import rebase_curve

pytestmark = pytest.mark.unit
# The whole 10-day holdout of the small data as the recent window.
SETTINGS = {"recent_level": {"days": 10, "min_wind": 8.0, "max_wind": 25.0,
                             "min_change": 0.10, "min_samples": 20}}
RECENT_DAYS = 3  # a change this recent: the gate must judge on these days only


def _with_loss(holdout, turbine: str, loss: float):
    """``turbine`` makes ``loss`` less above 8 m/s, as the demo farm's fault."""
    lost = holdout["turbine_id"].eq(turbine) & holdout["ws_norm"].ge(8.0)
    return holdout.assign(power_kw=holdout["power_kw"].where(
        ~lost, holdout["power_kw"] * (1 - loss)))


def test_rebase_curve_scales_a_changed_turbine_above_min_wind(trained_bundle,
                                                              model_tables):
    faulty = _with_loss(model_tables["holdout_table"], "T02", 0.15)
    served, levels = rebase_curve(trained_bundle, faulty, SETTINGS)
    before, after = trained_bundle["lookup"]["curve"], served["lookup"]["curve"]
    level = levels["T02"]
    assert set(levels) == {"T02"} and after["recent_level"] == levels
    assert 0.80 < level < 0.90
    high = before["centres"] >= 8.0
    assert np.allclose(after["curves"]["T02"][high],
                       before["curves"]["T02"][high] * level, rtol=1e-3)
    assert np.array_equal(after["curves"]["T02"][~high],
                          before["curves"]["T02"][~high])
    assert np.array_equal(after["curves"]["T01"], before["curves"]["T01"])
    assert "recent_level" not in before, "the trained bundle was changed"


def test_rebase_curve_lowers_the_changed_turbines_forecasts_only(trained_bundle,
                                                                 model_tables):
    faulty = _with_loss(model_tables["holdout_table"], "T02", 0.15)
    served, _ = rebase_curve(trained_bundle, faulty, SETTINGS)
    rows = model_input(faulty)
    old, new = predict_power(trained_bundle, rows), predict_power(served, rows)
    t02 = rows["turbine_id"].eq("T02").to_numpy()
    windy = t02 & faulty["ws_norm"].between(9.0, 11.0).to_numpy()
    assert new[windy].mean() < 0.92 * old[windy].mean()
    assert np.allclose(new[~t02], old[~t02])


def test_rebase_curve_leaves_healthy_turbines_alone(trained_bundle, model_tables):
    served, levels = rebase_curve(trained_bundle, model_tables["holdout_table"],
                                  SETTINGS)
    assert levels == {}
    for turbine, table in trained_bundle["lookup"]["curve"]["curves"].items():
        assert np.array_equal(served["lookup"]["curve"]["curves"][turbine], table)


def test_rebase_curve_needs_enough_readings(trained_bundle, model_tables):
    faulty = _with_loss(model_tables["holdout_table"], "T02", 0.15)
    few = {"recent_level": SETTINGS["recent_level"] | {"min_samples": 10**6}}
    assert rebase_curve(trained_bundle, faulty, few)[1] == {}


class _Served:
    """A bundle as the registry serves it (the pyfunc's ``predict``)."""

    def __init__(self, bundle: dict):
        self.bundle = bundle

    def predict(self, frame):
        return predict_frame(self.bundle, frame)


def _gate(candidate: dict, champion: dict, holdout, levels, params) -> dict:
    metrics = {"model_mae": 1.0, "baseline_mae": 2.0}  # beats the curve
    return decide_alias(
        metrics, score_champion({"model": _Served(champion), "version": 1}, holdout,
                                levels, params),
        params, score_candidate(candidate, holdout, levels, params))


def test_gate_promotes_a_rebased_candidate_over_a_champion_that_missed_the_change(
        trained_bundle, model_tables, training_params):
    # The loss began in the holdout's last days: on the weeks before, the old
    # level is right, and judged there the rebased candidate would lose.
    holdout = model_tables["holdout_table"]
    since = holdout["timestamp"].max() - pd.Timedelta(days=RECENT_DAYS)
    faulty = pd.concat([holdout.loc[holdout["timestamp"] <= since],
                        _with_loss(holdout.loc[holdout["timestamp"] > since], "T02",
                                   0.15)])
    params = training_params | {"recent_level": SETTINGS["recent_level"]
                                | {"days": RECENT_DAYS}}
    served, levels = rebase_curve(trained_bundle, faulty, params)
    assert set(levels) == {"T02"}
    decision = _gate(served, trained_bundle, faulty, levels, params)
    assert decision["alias"] == "champion"
    assert decision["candidate_mae"] < decision["champion_mae"] - 10


def test_gate_keeps_the_champion_against_the_same_model(trained_bundle, model_tables,
                                                        training_params):
    params = training_params | SETTINGS
    holdout = model_tables["holdout_table"]
    decision = _gate(trained_bundle, trained_bundle, holdout, {}, params)
    assert decision["candidate_mae"] == decision["champion_mae"]
    assert decision["alias"] == "challenger"
