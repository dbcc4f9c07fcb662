"""The closed loop on the running stack, its clock driven by ``as_of``.

    docker compose up -d --wait
    docker compose run --rm trainer pytest -m closed_loop -s -k "not served_by"

Through the served deployments, as the schedules and triggers would: ingest at a
simulated time (the demo farm, with or without a fault; its
``windpower.forecast.issued`` starts inference at that time), then monitoring at
the same time. A ``windpower.model.degraded`` event must start training by itself
(its trigger); the test only drives the clock, watches and prints a line per step.

It moves the stack's data up to three weeks into the simulated future: run it on a
throwaway stack (about 16 minutes). It waits for a fresh stack's first forecast
before it starts. Its short form, `-k served_by_the_retrained_champion` (a fault
detected, one triggered training, the new champion serving), is CI's last step;
run one fault test per stack (the second would meet a champion already rebased on
the first one's fault).
"""

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import mlflow
import pandas as pd
import pytest
from prefect import get_client
from prefect.client.schemas.filters import FlowFilter, FlowFilterName

from tests.conftest import load_params
from tests.e2e.stack import (
    MLFLOW_URL,
    PREFECT_API_URL,
    RUN_TIMEOUT_S,
    artifacts,
    query,
    require_stack,
    run,
    wait_for_first_forecasts,
)
from windpower.demo_farm import demo_farm_from_params
from windpower.demo_farm.physics import power_curve

pytestmark = pytest.mark.closed_loop
FAULTY, LOSS = "T03", 0.15
# The fault is on the first demo site's turbine; the other site must not notice.
SITE, OTHER = "demo-north", "demo-south"
STEP = pd.Timedelta(hours=12)
DAY = pd.Timedelta(days=1)
# An event starts its run within seconds; wait this long before saying "none".
TRIGGER_WAIT_S = 20
# The run an event must start: waited for until it appears, at most this long.
TRIGGERED_RUN_WAIT_S = 120
# A loss above 8 m/s shows only in wind: the fault starts before a day and a half
# with this many of the turbine's readings at 9 m/s or more (of 216).
WINDY_READINGS = 120
# Above monitoring's min_share (0.5) with room for the curve the champion learnt.
OPERATING_SHARE = 0.6


@pytest.fixture(scope="module", autouse=True)
def stack(request: pytest.FixtureRequest) -> None:
    """Only when asked for by name: the tests move the stack's data in time."""
    if "closed_loop" not in (request.config.getoption("markexpr") or ""):
        pytest.skip("moves the stack's data into the future: select it with "
                    "`-m closed_loop` (on a throwaway stack)")
    require_stack(PREFECT_API_URL)
    wait_for_first_forecasts()


def _newest_reading() -> pd.Timestamp:
    return pd.Timestamp(query("SELECT max(timestamp) FROM readings WHERE site_id = %s",
                              (SITE,))[0][0])


def _runs(flow: str, since: datetime) -> list:
    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(
            flow_filter=FlowFilter(name=FlowFilterName(any_=[flow])), limit=200)
    return [r for r in runs if r.created and r.created >= since]


def _triggered_trainings(since: datetime, site: str = SITE) -> list:
    """Training runs of ``site`` with an ``as_of``: started by an event (schedules
    and the other tests start them without one)."""
    return [r for r in _runs("training-flow", since) if r.parameters.get("as_of")
            and r.parameters.get("site") == site]


def _settled(run) -> bool:
    """Finished, or a schedule's future run (the scheduler creates those ahead of
    time: they are not the runs an event started)."""
    if run.state is None:
        return False
    future = run.expected_start_time and run.expected_start_time > datetime.now(UTC)
    return run.state.is_final() or (run.state.is_scheduled() and bool(future))


def _wait_quiet(flow: str, since: datetime) -> None:
    """Wait until every run of ``flow`` created since ``since`` has finished."""
    deadline = time.monotonic() + RUN_TIMEOUT_S
    while time.monotonic() < deadline:
        if all(_settled(r) for r in _runs(flow, since)):
            return
        time.sleep(1)
    pytest.fail(f"{flow} runs did not finish in {RUN_TIMEOUT_S} s")


def _ingest(as_of: pd.Timestamp, fault: dict | None = None) -> None:
    """Ingest up to ``as_of``; the inference its forecast starts finishes too."""
    params = {"ingest": {"demo_farm": {"fault": fault}}} if fault else None
    began = datetime.now(UTC)
    run("ingest-flow/ingest-flow", as_of=as_of.isoformat(),
        **({"params": params} if params else {}))
    _wait_quiet("inference-flow", began)
    # The forecast of the last 6-hour boundary is stored, and was scored, per site.
    issued = as_of.floor("6h")
    for site in (SITE, OTHER):
        (forecast, predicted), = query(
            "SELECT (SELECT max(issued_at) FROM weather_forecasts WHERE site_id = %s),"
            " (SELECT max(issued_at) FROM predictions WHERE site_id = %s)",
            (site, site))
        assert pd.Timestamp(forecast) == issued == pd.Timestamp(predicted), site


def _degraded_turbines(as_of: pd.Timestamp, site: str = SITE) -> list[str]:
    """Run the site's monitoring at ``as_of``; the turbines its verdict names."""
    flow_run = run("monitoring-flow/monitoring-flow", as_of=as_of.isoformat(),
                   site=site)
    report = next(a.data for a in artifacts(flow_run.id)
                  if a.key == "monitoring-report")
    verdict = next(x for x in report.splitlines() if x.startswith("- verdict:"))
    if "**degraded**" not in verdict:
        return []
    named = verdict.split("**degraded**: ")[1].split(";")[0]
    return [part.split(" (")[0] for part in named.split("), ")]


def _both_verdicts(as_of: pd.Timestamp) -> tuple[list[str], list[str]]:
    """Both sites' monitoring at ``as_of``, side by side (each site has its own
    slot): the turbines named at the faulty site and at the other one."""
    with ThreadPoolExecutor(2) as pool:
        named, other = pool.map(lambda site: _degraded_turbines(as_of, site),
                                (SITE, OTHER))
    return named, other


def _daily_mae(day: pd.Timestamp, version: int) -> tuple[float, float]:
    """(faulty turbine, the others): live MAE in kW of ``version``'s forecasts of
    ``day``, every horizon."""
    rows = dict(query(
        "SELECT turbine_id = %s, sum(mae_kw * rows) / nullif(sum(rows), 0) "
        "FROM forecast_quality WHERE site_id = %s AND day = %s "
        "AND model_version = %s GROUP BY 1", (FAULTY, SITE, day.date(), version)))
    return float(rows.get(True) or "nan"), float(rows.get(False) or "nan")


def _windy_onset(after: pd.Timestamp) -> pd.Timestamp:
    """The first midnight from ``after`` on before enough wind to see the fault:
    no detector can see a loss above 8 m/s in calm weather, nor while the turbine
    is iced, curtailed or stopped (below half its curve: monitoring leaves those
    readings out), and the demo farm is known ahead (a pure function of seed and
    time)."""
    farm = demo_farm_from_params(load_params("ingest"))
    rated = farm.turbines().set_index("turbine_id").loc[FAULTY, "rated_power_kw"]
    for day in range(60):
        onset = after + day * DAY
        rows = farm.readings(onset, onset + 1.5 * DAY)
        rows = rows.loc[rows["turbine_id"].eq(FAULTY)]
        wind = rows["wind_speed"].to_numpy(float)
        operating = rows["power_kw"].to_numpy(float) >= (
            OPERATING_SHARE * rated * power_curve(wind))
        if ((wind >= 9.0) & (wind < 25.0) & operating).sum() >= WINDY_READINGS:
            return onset
    pytest.fail(f"no windy spell in the 60 days from {after}")


def _champion_version(site: str = SITE) -> int:
    client = mlflow.MlflowClient(tracking_uri=MLFLOW_URL)
    return int(client.get_model_version_by_alias(f"windpower-{site}", "champion"
                                                 ).version)


def test_fourteen_days_without_a_fault_trigger_no_retraining():
    began = datetime.now(UTC)
    start = _newest_reading().ceil("D")
    _ingest(start + 14 * DAY)
    for day in range(1, 15):
        named = _degraded_turbines(start + day * DAY)
        print(f"no fault, day {day:2d}: degraded {named or 'none'}", flush=True)
        assert named == [], f"day {day}: a healthy farm was called degraded"
    time.sleep(TRIGGER_WAIT_S)
    assert _triggered_trainings(began) == []


def _detect_and_retrain(began: datetime
                        ) -> tuple[dict, pd.Timestamp, int, int, float]:
    """A fault injected from a windy day on, ingested and judged every 12 h until
    named; its one triggered training and promoted champion. Returns the fault,
    the detection time, the champion versions before and after, and when
    (``time.monotonic()``) the last verdict was given."""
    onset = _windy_onset(_newest_reading().ceil("D") + DAY)
    fault = {"turbine_id": FAULTY, "start": onset.isoformat(), "loss": LOSS,
             "above_wind_speed": 8.0}
    before, other = _champion_version(), _champion_version(OTHER)
    # From the day before the onset: that day's forecasts are the pre-fault level.
    as_of = onset - DAY
    named = []
    _ingest(as_of, fault)
    while not named and as_of < onset + 3 * DAY:
        as_of += STEP
        _ingest(as_of, fault)
        named, other_named = _both_verdicts(as_of)
        print(f"{as_of}: degraded {named or 'none'} (fault from {onset})", flush=True)
        assert other_named == [], f"{OTHER} called degraded"
        assert not named or as_of > onset, "named before the fault began"
        judged_at = time.monotonic()
    assert named == [FAULTY], f"detected {named} by {as_of}"
    assert as_of - onset <= 2 * DAY, f"detected {as_of - onset} after the onset"

    deadline = time.monotonic() + TRIGGERED_RUN_WAIT_S
    while not _triggered_trainings(began) and time.monotonic() < deadline:
        time.sleep(1)
    _wait_quiet("training-flow", began)
    trainings = _triggered_trainings(began)
    assert len(trainings) == 1, [r.name for r in trainings]
    assert trainings[0].state.is_completed()
    after = _champion_version()
    assert after > before, "the retrained model was not promoted"
    # The other site: no training started, its champion untouched.
    assert _triggered_trainings(began, OTHER) == []
    assert _champion_version(OTHER) == other
    return fault, as_of, before, after, judged_at


def test_a_fault_is_served_by_the_retrained_champion():
    """The short form (CI): detected, exactly one triggered training, a promoted
    champion, and the next forecast scored by it."""
    began = datetime.now(UTC)
    fault, as_of, _, after, judged_at = _detect_and_retrain(began)
    _ingest(as_of + STEP, fault)
    served = query("SELECT DISTINCT model_version FROM predictions WHERE site_id = %s"
                   " AND issued_at = (SELECT max(issued_at) FROM predictions)",
                   (SITE,))
    assert served == [(after,)], f"the newest forecast was scored by {served}"
    # No monitoring ran since the last verdict: its events have had this long.
    time.sleep(max(0.0, TRIGGER_WAIT_S - (time.monotonic() - judged_at)))
    assert len(_triggered_trainings(began)) == 1, "retrained more than once"


def test_a_fault_is_detected_retrained_away_and_forecasts_recover():
    began = datetime.now(UTC)
    fault, as_of, before, after, _ = _detect_and_retrain(began)
    start = pd.Timestamp(fault["start"]) - DAY

    # The new champion's forecasts of the first two whole days after the detection.
    first = as_of.ceil("D")
    while as_of < first + 2 * DAY:
        as_of += STEP
        _ingest(as_of, fault)
        _degraded_turbines(as_of)
    time.sleep(TRIGGER_WAIT_S)
    assert len(_triggered_trainings(began)) == 1, "retrained more than once"
    faulty_pre, others_pre = _daily_mae(start, before)
    post = [_daily_mae(first + k * DAY, after) for k in range(2)]
    faulty_post = sum(f for f, _ in post) / 2
    others_post = sum(o for _, o in post) / 2
    print(f"faulty MAE {faulty_pre:.1f} kW before the fault, {faulty_post:.1f} kW "
          f"after retraining; others {others_pre:.1f} / {others_post:.1f} kW",
          flush=True)
    # Against the others on the same days (the weather of a day moves every
    # turbine's error): the faulty turbine's relative error is back within 10 %.
    assert faulty_post / others_post <= 1.1 * faulty_pre / others_pre
