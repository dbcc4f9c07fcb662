"""The demo farm: a pure function of (seed, time), realistic and dirty, with
forecasts that err like weather prediction and an injectable fault; the data set
tests and benchmarks are built from."""

import numpy as np
import pandas as pd
import pytest

from tests.conftest import load_params
from windpower.contract import REQUIRED_COLUMNS, check_turbines, row_rules
from windpower.demo_farm import (
    DemoFarm,
    Fault,
    demo_farm_from_params,
    forecast_issue_times,
)
from windpower.demo_farm.physics import CUT_IN, CUT_OUT, RATED_WS, power_curve

pytestmark = pytest.mark.unit
DAY = pd.Timestamp("2026-01-01T00:00:00Z")
COLUMNS = ["timestamp", "turbine_id", "wind_speed", "wind_direction",
           "ambient_temperature", "power_kw", "pitch_angle"]


@pytest.fixture(scope="module")
def two_months() -> pd.DataFrame:
    """60 days of the default farm (read-only!)."""
    return DemoFarm().readings(DAY, DAY + pd.Timedelta(days=60))


def _farm_wide(readings: pd.DataFrame, column: str) -> pd.DataFrame:
    """time x turbine table of plausible values of ``column``."""
    real = readings[readings["turbine_id"] != "T99"]
    wide = real.pivot_table(index="timestamp", columns="turbine_id", values=column)
    return wide.where((wide >= 0) & (wide <= (50 if column == "wind_speed" else 360)))


def test_readings_same_window_same_rows():
    farm = DemoFarm(seed=5)
    start, end = DAY, DAY + pd.Timedelta(days=3)
    pd.testing.assert_frame_equal(farm.readings(start, end), farm.readings(start, end))


def _day_by_day(farm: DemoFarm, first: pd.Timestamp, days: int) -> pd.DataFrame:
    """Readings fetched one day at a time, as a streaming ingest would."""
    return pd.concat([farm.readings(first + pd.Timedelta(days=i),
                                    first + pd.Timedelta(days=i + 1))
                      for i in range(days)], ignore_index=True)


def test_readings_chunks_join_exactly():
    farm = DemoFarm(seed=5)
    a, c = DAY, DAY + pd.Timedelta(days=40)  # more than one internal block
    b = DAY + pd.Timedelta(days=2, hours=7, minutes=30)  # not on a day boundary
    whole = farm.readings(a, c)
    joined = pd.concat([farm.readings(a, b), farm.readings(b, c)], ignore_index=True)
    pd.testing.assert_frame_equal(whole, joined)
    pd.testing.assert_frame_equal(whole, _day_by_day(farm, a, 40))


def test_readings_window_is_half_open_utc_ten_minutes():
    start = DAY + pd.Timedelta(minutes=5)
    end = DAY + pd.Timedelta(days=1)
    frame = DemoFarm().readings(start, end)
    assert list(frame.columns) == COLUMNS
    assert str(frame["timestamp"].dt.tz) == "UTC"
    assert frame["timestamp"].min() == DAY + pd.Timedelta(minutes=10)
    assert frame["timestamp"].max() == end - pd.Timedelta(minutes=10)
    assert (frame["timestamp"].dt.minute % 10 == 0).all()
    assert frame["timestamp"].is_monotonic_increasing
    assert DemoFarm().readings(end, end).empty


def test_readings_no_seam_at_midnight(two_months):
    ws_step = _farm_wide(two_months, "wind_speed").mean(axis=1).diff().abs()
    turn = (_farm_wide(two_months, "wind_direction").diff() + 180) % 360 - 180
    dir_step = turn.abs().mean(axis=1)
    midnight = (ws_step.index.hour == 0) & (ws_step.index.minute == 0)
    for step in (ws_step, dir_step):
        assert step[midnight].mean() < 1.3 * step[~midnight].mean()


def test_readings_events_run_across_midnight():
    daily = _day_by_day(DemoFarm(), DAY, 30)
    stopped = _farm_wide(daily, "pitch_angle") > 80
    evening = stopped.index[stopped.index.time == pd.Timestamp("23:50").time()]
    next_day = stopped.reindex(evening + pd.Timedelta(minutes=10), fill_value=False)
    across = stopped.loc[evening].to_numpy() & next_day.to_numpy()
    assert across.sum() >= 2, "stoppages begun one day go on the next"


def test_readings_seasons_and_days():
    year = DemoFarm(n_turbines=2).readings(DAY, DAY + pd.Timedelta(days=365))
    ok = year[year["wind_speed"].between(0, 50)]
    month = ok.groupby(ok["timestamp"].dt.month)
    wind, temp = month["wind_speed"].mean(), month["ambient_temperature"].mean()
    assert wind[[1, 2, 12]].min() > wind[[6, 7, 8]].max(), "winter is windier"
    assert temp[1] < temp[7]
    hour = ok.groupby(ok["timestamp"].dt.hour)["wind_speed"].mean()
    assert hour.max() - hour.min() > 0.8, "a diurnal cycle"
    assert 5 < ok["wind_speed"].median() < 10


def test_readings_wakes_depend_on_direction(two_months):
    ws = _farm_wide(two_months, "wind_speed")
    sector = (_farm_wide(two_months, "wind_direction").mean(axis=1) // 30).to_numpy()
    ratio = ws.div(ws.mean(axis=1), axis=0)
    by_sector = ratio.groupby(sector).median()
    assert (by_sector.max() - by_sector.min()).max() > 0.1, "some turbine is waked"


def test_readings_carry_dirt_the_contract_rejects(two_months):
    farm = DemoFarm()
    ranges = load_params("data_processing")["ranges"]
    turbines = check_turbines(farm.turbines())
    _, rule = row_rules(two_months, "scada", turbines, ranges)
    rules = set(rule.unique())
    assert {"unknown_turbine", "duplicate_timestamp_turbine", "missing_wind_speed",
            "out_of_range_wind_speed", "out_of_range_power_kw",
            "out_of_range_wind_direction"} <= rules
    assert 0.97 < (rule == "").mean() < 0.999
    assert (two_months["pitch_angle"] > 80).any(), "stoppages feather the blades"
    assert (two_months["pitch_angle"].between(3, 80)
            & (two_months["wind_speed"] < 11)).any(), "curtailment pitches out"
    real = two_months[two_months["turbine_id"] != "T99"]
    assert (real.groupby("turbine_id")["timestamp"].nunique() < 60 * 144).all(), "gaps"


def test_readings_the_contract_accepts_are_physical(two_months):
    turbines = check_turbines(DemoFarm().turbines())
    ranges = load_params("data_processing")["ranges"]
    typed, rule = row_rules(two_months, "scada", turbines, ranges)
    good = typed[rule == ""]
    rated = good["turbine_id"].map(turbines.set_index("turbine_id")["rated_power_kw"])
    share = good["power_kw"] / rated
    # The contract lets power reach 1.2 x rated: this is the farm's own limit.
    assert (share <= 1.0).all(), "never above rated"
    curve = share.groupby(np.floor(good["wind_speed"])).median()
    assert (curve.loc[CUT_IN:RATED_WS].diff().dropna() > 0).all(), curve
    assert (curve.loc[RATED_WS + 1:20] > 0.9).all(), "near rated above rated wind"
    assert good["wind_speed"].quantile(0.99) < 30
    assert good["ambient_temperature"].between(-30, 45).all()


def test_power_curve_rises_to_rated_and_stops_at_cut_out():
    wind = np.array([0.0, CUT_IN - 0.1, 8.0, RATED_WS, 20.0, CUT_OUT])
    power = power_curve(wind)
    assert power[0] == power[1] == 0.0
    assert 0 < power[2] < 1
    assert power[3] == power[4] == 1.0
    assert power[5] == 0.0
    assert (np.diff(power_curve(np.linspace(CUT_IN, RATED_WS, 50))) > 0).all()


def test_dataset_is_the_farm_as_files_at_end():
    farm = DemoFarm(seed=7, n_turbines=3)
    end = DAY + pd.Timedelta(days=10)
    data = farm.dataset(end + pd.Timedelta(minutes=5), days=10, forecast_hours=12)
    assert set(data) == {"turbines", "scada", "forecast"}
    assert list(check_turbines(data["turbines"]).columns) == REQUIRED_COLUMNS[
        "turbines"]
    pd.testing.assert_frame_equal(
        data["scada"], farm.readings(end - pd.Timedelta(days=10), end))
    forecast = data["forecast"]
    assert set(REQUIRED_COLUMNS["forecast"]) < set(forecast.columns)
    assert (forecast["issued_at"] == end).all(), "issued where the history ends"
    assert forecast["timestamp"].min() == end + pd.Timedelta(minutes=10)
    assert forecast["timestamp"].nunique() == 12 * 6
    assert len(forecast) == 12 * 6 * 3 and forecast.notna().all().all()
    other = DemoFarm(seed=8, n_turbines=3).dataset(end, days=10, forecast_hours=12)
    assert not data["scada"]["power_kw"].equals(other["scada"]["power_kw"])


def test_dataset_archive_holds_every_issue_up_to_end():
    end = DAY + pd.Timedelta(days=2)
    archive = DemoFarm().dataset(end, days=2, issue_every_hours=6)["forecast"]
    issues = pd.DatetimeIndex(archive["issued_at"].unique())
    assert list(issues) == list(forecast_issue_times(DAY, end))
    assert issues.max() == end and len(issues) == 8


def test_weather_forecast_pure_and_independent_of_other_issues():
    farm = DemoFarm(seed=9)
    issued = DAY + pd.Timedelta(hours=6)
    alone = farm.weather_forecast(issued)
    pd.testing.assert_frame_equal(alone, farm.weather_forecast(issued))
    issues = forecast_issue_times(DAY, DAY + pd.Timedelta(days=2))
    batch = farm.weather_forecasts(issues)
    mine = batch[batch["issued_at"] == issued].reset_index(drop=True)
    pd.testing.assert_frame_equal(alone, mine)


def test_weather_forecast_window():
    issued = DAY + pd.Timedelta(hours=12)
    frame = DemoFarm().weather_forecast(issued, hours=24)
    assert list(frame.columns) == ["issued_at", "timestamp", "turbine_id", "wind_speed",
                                   "wind_direction", "ambient_temperature"]
    assert (frame["issued_at"] == issued).all()
    assert frame["timestamp"].min() == issued + pd.Timedelta(minutes=10)
    assert frame["timestamp"].max() == issued + pd.Timedelta(hours=24)
    assert len(frame) == 24 * 6 * 6 and frame.notna().all().all()


def test_weather_forecast_error_grows_with_horizon():
    farm = DemoFarm()
    issues = forecast_issue_times(DAY, DAY + pd.Timedelta(days=7, hours=12))
    forecast = farm.weather_forecasts(issues)
    actual = farm.readings(DAY, DAY + pd.Timedelta(days=10))
    actual = actual[actual["wind_speed"].between(0, 50)]
    both = forecast.merge(actual, on=["timestamp", "turbine_id"], suffixes=("", "_obs"))
    lead = (both["timestamp"] - both["issued_at"]) / pd.Timedelta(hours=1)
    sq_err = (both["wind_speed"] - both["wind_speed_obs"]) ** 2
    rmse_short = np.sqrt(sq_err[lead <= 6].mean())
    rmse_long = np.sqrt(sq_err[lead > 24].mean())
    assert len(issues) == 30
    assert 0.9 < rmse_short < 2.0, "close at short range, but no oracle (~0.6)"
    assert rmse_long > 1.4 * rmse_short


def _paired(farm: DemoFarm, days: int, hours: int = 48) -> pd.DataFrame:
    """Forecasts of ``days`` of issues next to the plausible readings they target,
    with ``lead`` in hours."""
    forecast = farm.weather_forecasts(
        forecast_issue_times(DAY, DAY + pd.Timedelta(days=days)), hours)
    actual = farm.readings(DAY, DAY + pd.Timedelta(days=days + 2))
    actual = actual[(actual["turbine_id"] != "T99")
                    & actual["wind_speed"].between(0, 50)
                    & actual["wind_direction"].between(0, 360)]
    actual = actual.drop_duplicates(["timestamp", "turbine_id"])
    both = forecast.merge(actual, on=["timestamp", "turbine_id"],
                          suffixes=("", "_obs"))
    both["lead"] = (both["timestamp"] - both["issued_at"]) / pd.Timedelta(hours=1)
    return both


def test_weather_forecast_level_bias_is_per_seed():
    fits = {}
    for seed in (42, 1):
        short = _paired(DemoFarm(seed=seed), 20).query("lead <= 6")
        slope = np.polyfit(short["wind_speed_obs"], short["wind_speed"], 1)[0]
        bias = (short["wind_speed"] - short["wind_speed_obs"]).mean()
        fits[seed] = slope, bias
    (slope_a, bias_a), (slope_b, bias_b) = fits.values()
    # Without a level bias both slopes are ~0.96 and both biases within 0.2 m/s.
    assert abs(slope_a - slope_b) > 0.1, fits
    assert abs(bias_a - bias_b) > 0.8, fits


def test_weather_forecast_error_depends_on_direction():
    both = _paired(DemoFarm(), 90, hours=24)
    level = np.polyfit(both["wind_speed_obs"], both["wind_speed"], 1)
    error = both["wind_speed"] - np.polyval(level, both["wind_speed_obs"])
    sector = error.groupby(both["wind_direction_obs"] // 45).agg(["mean", "size"])
    mean = sector.loc[sector["size"] > 0.02 * len(both), "mean"]
    assert len(mean) >= 6
    # Per-issue and AR errors alone leave sector means ~0.3 m/s apart.
    assert mean.max() - mean.min() > 0.5, mean


def test_weather_forecast_is_smoother_than_the_wind():
    farm = DemoFarm()
    issues = forecast_issue_times(DAY, DAY + pd.Timedelta(days=10))
    forecast = farm.weather_forecasts(issues)
    assert (forecast["wind_speed"] >= 0).all()
    step = forecast.groupby(["issued_at", "turbine_id"])["wind_speed"].diff()
    actual = _farm_wide(farm.readings(DAY, DAY + pd.Timedelta(days=10)),
                        "wind_speed")
    actual_step = actual.diff().stack()
    # Unsmoothed, the forecast steps ~0.65 times as much as the measured wind.
    assert step.std() < 0.35 * actual_step.std()


def test_weather_forecast_issue_alone_equals_it_in_a_long_batch():
    farm = DemoFarm(seed=4)
    issued = DAY + pd.Timedelta(days=33, hours=18)  # second 30-day group
    batch = farm.weather_forecasts(
        forecast_issue_times(DAY, DAY + pd.Timedelta(days=40)))
    mine = batch[batch["issued_at"] == issued].reset_index(drop=True)
    pd.testing.assert_frame_equal(farm.weather_forecast(issued), mine,
                                  check_exact=True)


def test_fault_changes_only_the_faulty_turbine_after_start():
    start = DAY + pd.Timedelta(days=5, minutes=5)
    fault = Fault("T03", start=start, loss=0.2, above_wind_speed=8.0)
    end = DAY + pd.Timedelta(days=20)
    healthy = DemoFarm(seed=3).readings(DAY, end)
    faulty = DemoFarm(seed=3, fault=fault).readings(DAY, end)
    pd.testing.assert_frame_equal(healthy[["timestamp", "turbine_id"]],
                                  faulty[["timestamp", "turbine_id"]])
    same = (healthy["turbine_id"] != "T03") & (healthy["turbine_id"] != "T99")
    before = healthy["timestamp"] < start
    pd.testing.assert_frame_equal(healthy[same | before], faulty[same | before])
    hit = ~same & ~before & (healthy["turbine_id"] == "T03")
    changed = hit & (healthy["power_kw"] != faulty["power_kw"])
    assert changed.sum() > 200
    ratio = faulty.loc[changed, "power_kw"] / healthy.loc[changed, "power_kw"]
    assert (ratio.sub(0.8).abs() < 0.01).mean() > 0.9
    low_wind = healthy["wind_speed"].between(0, 4)
    assert not (changed & low_wind).any(), "low wind is untouched"


def test_fault_on_unknown_turbine_is_refused():
    with pytest.raises(ValueError, match="T42"):
        DemoFarm(fault=Fault("T42", start=DAY))


def test_many_turbines_have_unique_ids_apart_from_t99():
    farm = DemoFarm(n_turbines=200)
    frame = farm.readings(DAY, DAY + pd.Timedelta(days=1))
    ids = set(farm.turbines()["turbine_id"])
    assert len(ids) == 200 and "T99" not in ids
    assert set(frame["turbine_id"]) - ids <= {"T99"}
    assert len(frame) > 0.97 * 200 * 144


def test_forecast_issue_times_on_six_hour_boundaries():
    times = forecast_issue_times("2026-01-01T03:00Z", "2026-01-02T06:00Z")
    assert [t.hour for t in times] == [6, 12, 18, 0, 6]
    assert times[0] == pd.Timestamp("2026-01-01T06:00Z")
    assert forecast_issue_times("2026-01-01T06:00Z", "2026-01-01T11:50Z").empty


def test_demo_farm_from_params_reads_the_ingest_parameters():
    params = load_params("ingest")
    farm = demo_farm_from_params(params)
    assert farm == DemoFarm(seed=42, n_turbines=6)
    with_fault = dict(params["demo_farm"], fault={
        "turbine_id": "T03", "start": "2026-12-01T00:00:00Z", "loss": 0.15})
    fault = demo_farm_from_params(with_fault).fault
    assert fault == Fault("T03", pd.Timestamp("2026-12-01T00:00:00Z"), 0.15, 8.0)
