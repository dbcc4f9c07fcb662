"""Monitoring nodes on a known farm: who is named, and when (no servers)."""

import numpy as np
import pandas as pd
import pytest

from tests import monitoring_farm as farm
from tests.conftest import load_params
from windpower.pipelines.monitoring import nodes, report, signals

pytestmark = pytest.mark.unit
TURBINES = ["T1", "T2", "T3", "T4", "T5", "T6"]
START = "2026-03-01T00:00Z"
NO_HISTOGRAMS = pd.DataFrame(columns=["turbine_id", "day", "variable", "bin", "n"])


def _reference(holdout_pct: float = 50.0) -> dict:
    return {"version": 1, "run_id": "run-1", "curve": farm.known_curve(TURBINES),
            "holdout_mae_kw": 10 * holdout_pct, "holdout_mae_pct_rated": holdout_pct,
            "train_start": "2025-01-01T00:00Z", "train_end": "2026-02-28T00:00Z"}


def _detect(days: int, losses: dict[str, float], params: dict,
            reference: dict | None = None) -> tuple[dict, pd.DataFrame]:
    """The detectors on ``days`` of the known farm (turbines losing ``losses``)."""
    reference = reference or _reference()
    reads = farm.readings(TURBINES, START, days, 1, losses=losses)
    weather, predictions = farm.forecasts(reads, 6, 72, 1)
    turbines = farm.turbines_frame(TURBINES)
    scored = nodes.score_forecasts(farm.joined(reads, weather, predictions),
                                   turbines, reference)
    readings = nodes.score_readings(farm.readings_rows(reads), turbines, reference)
    return report.detect_degradation(scored, readings, NO_HISTOGRAMS, reference,
                                     params)


@pytest.fixture
def params() -> dict:
    return load_params("monitoring") | {"as_of": None}


def test_detect_degradation_names_only_the_turbine_losing_15_percent(params):
    result, _ = _detect(14, {"T3": 0.15}, params)

    assert result["degraded"] is True
    assert result["turbines"] == ["T3"]
    assert result["reasons"] == {"T3": ["concept"]}
    concept = result["evidence"]["T3"]["concept"]
    assert concept["value"] == pytest.approx(0.15, abs=0.02)
    assert all(loss > 0.1 for loss in concept["loss_by_bin"].values())


def test_detect_degradation_healthy_farm_is_not_degraded(params):
    result, table = _detect(14, {}, params)

    assert result["degraded"] is False and result["turbines"] == []
    assert (table["concept.value"].abs() < 0.02).all()


def test_detect_degradation_too_few_samples_never_fires(params):
    params["concept"]["min_samples"] = 10**6
    params["performance"]["min_samples"] = 10**6

    result, table = _detect(14, {"T3": 0.5}, params, _reference(holdout_pct=0.01))

    assert table.set_index("turbine_id").loc["T3", "concept.value"] > 0.4
    assert result["degraded"] is False and result["reasons"] == {}


def test_hysteresis_does_not_flap_around_the_threshold():
    # A loss hovering around the 8 % threshold: a plain threshold would switch
    # state on every step; the detector switches on once and stays on until the
    # loss falls below 4 %.
    loss = np.array([0.02, 0.079, 0.081, 0.079, 0.081, 0.079, 0.06, 0.081, 0.03, 0.079])
    samples = np.full(len(loss), 1000)

    states = signals.hysteresis(loss, samples, enter=0.08, clear=0.04, min_samples=200)

    assert states.tolist() == [False, False, True, True, True, True, True, True,
                               False, False]
    assert np.count_nonzero(np.diff((loss >= 0.08).astype(int))) == 6
    assert np.count_nonzero(np.diff(states.astype(int))) == 2


def test_hysteresis_ignores_days_without_enough_samples():
    states = signals.hysteresis(np.array([0.5, 0.5, 0.0, 0.5]),
                                np.array([10, 1000, 10, 10]), 0.08, 0.04, 200)
    assert states.tolist() == [False, True, True, True]


def test_forecast_quality_without_quantiles_has_no_coverage():
    reads = farm.readings(TURBINES[:2], START, 2, seed=3)
    weather, predictions = farm.forecasts(reads, 6, 72, seed=3, quantiles=False)
    rows = farm.joined(reads, weather, predictions)
    scored = nodes.score_forecasts(rows, farm.turbines_frame(TURBINES), _reference())

    quality = nodes.compute_forecast_quality(scored)

    assert quality["coverage_p10_p90"].isna().all()
    assert quality["rows"].sum() == len(rows)
    assert (quality["baseline_mae_kw"] > 0).all()



def _histograms(days: int, shifted: str, shift_days: int) -> pd.DataFrame:
    """Daily wind histograms as the query returns them: the same every day, except
    ``shifted``'s wind speed, 6 m/s higher over the last ``shift_days``."""
    speed = np.exp(-0.5 * ((np.arange(25) - 8) / 3.0) ** 2)
    speed = np.round(144 * speed / speed.sum())
    rows = []
    for day in pd.date_range(START, periods=days, freq="D"):
        for turbine in TURBINES:
            late = turbine == shifted and day >= pd.Timestamp(START) + pd.Timedelta(
                days=days - shift_days)
            for b, n in enumerate(speed):
                rows.append((turbine, day, "wind_speed", b + 6 * late, n))
            rows += [(turbine, day, "wind_direction", b, 12) for b in range(12)]
    return pd.DataFrame(rows, columns=["turbine_id", "day", "variable", "bin", "n"])


def test_drift_is_reported_but_does_not_mark_the_model_degraded(params):
    reference = _reference() | {"train_start": START,
                                "train_end": "2026-03-21T00:00Z"}
    reads = farm.readings(TURBINES, START, 28, 2)
    weather, predictions = farm.forecasts(reads, 6, 72, 2)
    turbines = farm.turbines_frame(TURBINES)
    scored = nodes.score_forecasts(farm.joined(reads, weather, predictions),
                                   turbines, reference)
    readings = nodes.score_readings(farm.readings_rows(reads), turbines, reference)

    result, table = report.detect_degradation(
        scored, readings, _histograms(28, "T5", 7), reference, params)

    assert result["reasons"] == {"T5": ["drift:wind_speed"]}
    assert result["degraded"] is False and result["turbines"] == []
    psi = table.set_index("turbine_id")["drift:wind_speed.value"]
    assert psi["T5"] > params["drift"]["enter"]
    assert psi.drop("T5").max() == pytest.approx(0.0)


def test_drift_on_a_fresh_stack_with_no_forecast_scored_yet(params):
    # A fresh stack: readings drift but no forecast's target time has passed, so
    # the performance signal has no samples for anyone. The drift is still
    # reported, with 0 performance samples, and the run does not fail.
    reference = _reference() | {"train_start": START,
                                "train_end": "2026-03-21T00:00Z"}
    reads = farm.readings(TURBINES, START, 28, 2)
    weather, predictions = farm.forecasts(reads, 6, 72, 2)
    turbines = farm.turbines_frame(TURBINES)
    scored = nodes.score_forecasts(farm.joined(reads, weather, predictions),
                                   turbines, reference)
    readings = nodes.score_readings(farm.readings_rows(reads), turbines, reference)

    result, _ = report.detect_degradation(
        scored.iloc[0:0], readings, _histograms(28, "T5", 7), reference, params)

    assert result["reasons"] == {"T5": ["drift:wind_speed"]}
    assert result["evidence"]["T5"]["performance"]["samples"] == 0
    assert result["evidence"]["T5"]["performance"]["value"] is None
