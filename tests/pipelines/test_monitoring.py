"""Monitoring nodes on a known farm: who is named, and when (no servers)."""

import numpy as np
import pandas as pd
import pytest

from tests import monitoring_farm as farm
from tests.conftest import load_params
from windpower import drift
from windpower.pipelines.monitoring import nodes, plots, report, signals

pytestmark = pytest.mark.unit
TURBINES = ["T1", "T2", "T3", "T4", "T5", "T6"]
START = "2026-03-01T00:00Z"
NO_HISTOGRAMS = pd.DataFrame(columns=["turbine_id", "day", "variable", "bin", "n"])


def _reference(holdout_pct: float = 50.0) -> dict:
    return {"version": 1, "run_id": "run-1", "curve": farm.known_curve(TURBINES),
            "holdout_mae_kw": 10 * holdout_pct, "holdout_mae_pct_rated": holdout_pct}


def _detect(days: int, losses: dict[str, float], params: dict,
            reference: dict | None = None) -> tuple[dict, pd.DataFrame]:
    """The detectors on ``days`` of the known farm (turbines losing ``losses``)."""
    reads = farm.readings(TURBINES, START, days, 1, losses=losses)
    return _detect_reads(reads, params, reference)


def _detect_reads(reads: pd.DataFrame, params: dict, reference: dict | None = None
                  ) -> tuple[dict, pd.DataFrame]:
    """The detectors on the known farm's readings ``reads``."""
    reference = reference or _reference()
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


def test_concept_detector_names_a_fault_two_days_old(params):
    """The configured window: a fault of the last two days is not diluted by the
    turbine's healthy past."""
    reads = farm.readings(TURBINES, START, 14, 1)
    end = reads["timestamp"].max()
    late = ((reads["turbine_id"] == "T6") & (reads["wind_speed"] >= 8.0)
            & (reads["timestamp"] > end - pd.Timedelta(days=2)))
    reads.loc[late, "power_kw"] *= 0.85

    result, _ = _detect_reads(reads, params)

    assert result["turbines"] == ["T6"]


def test_performance_detector_enters_at_one_and_a_half_times_the_holdout(params):
    """The configured threshold: live error 1.6x the training holdout's is
    reported, 1.2x (below its clearing level) is not; it reports, concept
    degrades."""
    _, table = _detect(14, {}, params, _reference(holdout_pct=1.0))
    live_pct = table.set_index("turbine_id").loc["T1", "performance.value"]
    for ratio, active in ((1.6, True), (1.2, False)):
        _, table = _detect(14, {}, params, _reference(holdout_pct=live_pct / ratio))
        assert bool(table.set_index("turbine_id").loc["T1", "performance.active"]
                    ) is active, ratio


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



def test_farm_total_is_scored_only_where_every_summed_turbine_is_measured():
    pair = TURBINES[:2]
    reads = farm.readings(pair, START, 2, seed=3)
    weather, predictions = farm.forecasts(reads, 6, 72, seed=3)
    first_issue = predictions["issued_at"].min()
    gap = (reads["turbine_id"] == "T2") & (
        reads["timestamp"] < pd.Timestamp(START) + pd.Timedelta(hours=9))
    rows = farm.joined(reads.loc[~gap], weather, predictions)
    # Persistence of every turbine, but T2's at the first issue.
    rows["persistence_kw"] = 700.0
    issued = pd.to_datetime(rows["epoch"] - 60 * rows["horizon_minutes"], unit="s",
                            utc=True)
    rows.loc[(rows["turbine_id"] == "T2") & (issued == first_issue),
             "persistence_kw"] = np.nan
    scored = nodes.score_forecasts(rows, farm.turbines_frame(pair), _reference())

    total = nodes.score_farm_forecasts(farm.farm_total_rows(predictions), scored)

    measured = reads.loc[~gap].groupby("timestamp")["power_kw"].agg(["size", "sum"])
    complete = measured.loc[measured["size"] == 2, "sum"]
    expected = predictions.loc[predictions["timestamp"].isin(complete.index)
                               & (predictions["turbine_id"] == "T1")]
    assert len(total) == len(expected) > 0
    assert (total["turbine_id"] == "*").all()
    assert total["actual_kw"].to_numpy() == pytest.approx(
        complete.reindex(total["timestamp"]).to_numpy())
    assert (total["rated_power_kw"] == 2 * farm.RATED_KW).all()
    at_first = total["timestamp"] - pd.to_timedelta(total["horizon_minutes"],
                                                    unit="min") == first_issue
    assert total.loc[at_first, "persistence_kw"].isna().all()
    assert (total.loc[~at_first, "persistence_kw"] == 1400.0).all()
    quality = nodes.compute_forecast_quality(scored, total)
    own = quality.loc[quality["turbine_id"] == "*"]
    assert own["rows"].sum() == len(total)
    assert own["mae_pct_rated"].to_numpy() == pytest.approx(
        100 * own["mae_kw"].to_numpy() / (2 * farm.RATED_KW))


def test_the_farm_total_is_no_turbine_to_the_detectors_or_their_figures(params):
    """Farm rows far off (P50 at the farm's rated power) among the scored rows
    never name '*', and stay out of the turbines' per-band figures."""
    params["degrade_on"] = ["concept", "performance"]
    reference = _reference(holdout_pct=20.0)
    reads = farm.readings(TURBINES, START, 14, 1)
    weather, predictions = farm.forecasts(reads, 6, 72, 1)
    turbines = farm.turbines_frame(TURBINES)
    scored = nodes.score_forecasts(farm.joined(reads, weather, predictions),
                                   turbines, reference)
    farm_scored = nodes.score_farm_forecasts(farm.farm_total_rows(
        predictions).assign(predicted_kw=len(TURBINES) * farm.RATED_KW), scored)
    readings = nodes.score_readings(farm.readings_rows(reads), turbines, reference)

    result, table = report.detect_degradation(
        pd.concat([scored, farm_scored], ignore_index=True), readings,
        NO_HISTOGRAMS, reference, params)
    quality = nodes.compute_forecast_quality(scored, farm_scored)
    metrics, _, summary = report.summarise_monitoring(quality, table, result)

    assert "*" not in set(table["turbine_id"])
    assert result["turbines"] == [] and "*" not in result["reasons"]
    near = scored["horizon_band"] == "0-6h"
    assert metrics["band"]["0-6h"]["rows"] == near.sum()
    assert metrics["band"]["0-6h"]["mae_kw"] == pytest.approx(
        scored.loc[near, "error_kw"].abs().mean(), rel=1e-6)
    assert metrics["farm"]["0-6h"]["rows"] == (
        farm_scored["horizon_band"] == "0-6h").sum()
    assert summary["farm_quality"] == metrics["farm"]


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


def _with_reference(histograms: pd.DataFrame, end: str) -> dict:
    """The reference training would store: the histograms of the days to ``end``."""
    rows = histograms.loc[histograms["day"] < pd.Timestamp(end)]
    stored = {}
    for variable, bins in drift.BINS.items():
        counts = rows.loc[rows["variable"] == variable].groupby(
            ["turbine_id", "bin"])["n"].sum()
        stored[variable] = {t: [int(counts.get((t, b), 0)) for b in range(bins)]
                            for t in TURBINES}
    return _reference() | {"wind_histograms": stored}


def _drifting_farm() -> tuple:
    """28 days of the known farm; T5's wind 6 m/s higher over the last 7 days than
    in the 20 days the reference was stored from."""
    histograms = _histograms(28, "T5", 7)
    reference = _with_reference(histograms, "2026-03-21T00:00Z")
    reads = farm.readings(TURBINES, START, 28, 2)
    weather, predictions = farm.forecasts(reads, 6, 72, 2)
    turbines = farm.turbines_frame(TURBINES)
    scored = nodes.score_forecasts(farm.joined(reads, weather, predictions),
                                   turbines, reference)
    readings = nodes.score_readings(farm.readings_rows(reads), turbines, reference)
    return scored, readings, histograms, reference


def test_drift_is_reported_but_does_not_mark_the_model_degraded(params):
    scored, readings, histograms, reference = _drifting_farm()

    result, table = report.detect_degradation(
        scored, readings, histograms, reference, params)

    assert result["reasons"] == {"T5": ["drift:wind_speed"]}
    assert result["degraded"] is False and result["turbines"] == []
    psi = table.set_index("turbine_id")["drift:wind_speed.value"]
    assert psi["T5"] > params["drift"]["enter"]
    assert psi.drop("T5").max() == pytest.approx(0.0)


def test_drift_on_a_fresh_stack_with_no_forecast_scored_yet(params):
    # A fresh stack: readings drift but no forecast's target time has passed, so
    # the performance signal has no samples for anyone. The drift is still
    # reported, with 0 performance samples, and the run does not fail.
    scored, readings, histograms, reference = _drifting_farm()

    result, _ = report.detect_degradation(
        scored.iloc[0:0], readings, histograms, reference, params)

    assert result["reasons"] == {"T5": ["drift:wind_speed"]}
    assert result["evidence"]["T5"]["performance"]["samples"] == 0
    assert result["evidence"]["T5"]["performance"]["value"] is None


def test_drift_is_skipped_for_a_champion_without_stored_histograms(params):
    # A champion trained before the reference was stored with the model: no
    # drift signal (said in the log), the other detectors still work.
    reads = farm.readings(TURBINES, START, 28, 2)
    turbines = farm.turbines_frame(TURBINES)
    readings = nodes.score_readings(farm.readings_rows(reads), turbines, _reference())

    result, table = report.detect_degradation(
        _empty_scored(), readings,
        _histograms(28, "T5", 7), _reference() | {"wind_histograms": None}, params)

    assert result["reasons"] == {}
    assert not any(c.startswith("drift") for c in table.columns)


def _empty_scored() -> pd.DataFrame:
    reads = farm.readings(TURBINES[:1], START, 1, 1)
    weather, predictions = farm.forecasts(reads, 6, 72, 1)
    scored = nodes.score_forecasts(farm.joined(reads, weather, predictions),
                                   farm.turbines_frame(TURBINES), _reference())
    return scored.iloc[0:0]


def test_wind_histograms_bin_as_the_monitoring_query():
    readings = pd.DataFrame({"turbine_id": ["T1", "T1", "T2", "T2", "T2"],
                             "wind_speed": [0.2, 31.0, 8.99, 9.0, np.nan],
                             "wind_direction": [359.9, 0.0, 30.0, 29.99, 10.0]})

    stored = drift.wind_histograms(readings)

    speed, direction = stored["wind_speed"], stored["wind_direction"]
    assert len(speed["T1"]) == 31 and len(direction["T1"]) == 12
    assert speed["T1"][0] == 1 and speed["T1"][30] == 1  # 31 m/s: the last bin
    assert speed["T2"][8] == 1 and speed["T2"][9] == 1 and sum(speed["T2"]) == 2
    assert direction["T1"][11] == 1 and direction["T1"][0] == 1
    assert direction["T2"][1] == 1 and direction["T2"][0] == 2


def test_forecast_plot_shows_the_degraded_and_the_worst_turbines_only():
    fleet = [f"T{i:02d}" for i in range(20)]
    reads = farm.readings(fleet, START, 2, 4, losses={"T07": 0.4})
    weather, predictions = farm.forecasts(reads, 6, 72, 4)
    scored = nodes.score_forecasts(farm.joined(reads, weather, predictions),
                                   farm.turbines_frame(fleet), _reference())
    degraded = {"champion_version": 1, "turbines": ["T03"]}

    figure = plots.plot_forecast_vs_actual(scored, degraded,
                                           {"days": 3, "max_turbines": 4})

    titles = [ax.get_title(loc="left") for ax in figure.axes]
    assert len(titles) == 4 and "T03 DEGRADED" in titles
    assert "T07" in titles  # it lost 40 %: the largest error
    assert "4 of 20 turbines" in figure._suptitle.get_text()
