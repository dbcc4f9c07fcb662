"""Drive the running stack through simulated days and watch the closed loop.

  docker compose run --rm trainer python scripts/closed_loop.py --days 5 --fault T03
  docker compose run --rm trainer python scripts/closed_loop.py --days 14   # no fault

From the newest stored reading on, every 6 simulated hours it runs the served
ingest deployment at that ``as_of`` (the demo farm, with the fault from
``--fault-after`` days on); ingest's ``windpower.forecast.issued`` starts inference
at the same ``as_of``. Each simulated midnight it runs monitoring. A degradation
event starts training by itself (its trigger); the script only watches and prints,
per day: the faulty turbine's and the other turbines' live MAE (all horizons), the
verdict, and the training runs the events started.

It moves the stack's data into the simulated future (readings and forecasts up to
the last ``as_of``): run it on a throwaway stack (``docker compose down -v`` after).
"""

import argparse
import sys
import time
from datetime import UTC, datetime

import pandas as pd
from prefect import get_client
from prefect.client.schemas.filters import (
    FlowFilter,
    FlowFilterName,
    FlowRunFilter,
    FlowRunFilterId,
)
from prefect.deployments import run_deployment

from windpower.store import connect
from windpower.store.readers import last_reading_time

STEP = pd.Timedelta(hours=6)
RUN_TIMEOUT_S = 900


def _run(deployment: str, as_of: pd.Timestamp, params: dict | None = None) -> dict:
    parameters = {"as_of": as_of.isoformat()} | ({"params": params} if params else {})
    run = run_deployment(deployment, parameters=parameters, timeout=RUN_TIMEOUT_S)
    if not run.state.is_completed():
        sys.exit(f"{deployment} at {as_of}: {run.state.type.value} {run.state.message}")
    return run


def _runs(flow: str, since: datetime) -> list:
    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(
            flow_filter=FlowFilter(name=FlowFilterName(any_=[flow])), limit=200)
    return [r for r in runs if r.created and r.created >= since]


def _wait_quiet(flow: str, since: datetime) -> None:
    """Wait until no run of ``flow`` created since ``since`` is still to finish."""
    for _ in range(RUN_TIMEOUT_S):
        if all(r.state and r.state.is_final() for r in _runs(flow, since)):
            return
        time.sleep(1)
    sys.exit(f"{flow} runs did not finish in {RUN_TIMEOUT_S} s")


def _verdict(flow_run_id) -> str:
    """The monitoring report's verdict line (deployment runs keep no result)."""
    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(flow_run_filter=FlowRunFilter(
            id=FlowRunFilterId(any_=[flow_run_id])))
    report = next(a.data for a in artifacts if a.key == "monitoring-report")
    line = next(x for x in report.splitlines() if x.startswith("- verdict:"))
    return line.removeprefix("- verdict: ").split(";")[0].replace("**", "")


def _daily_mae(day: pd.Timestamp, turbine: str | None) -> tuple[float, float]:
    conn = connect()
    try:
        with conn.cursor() as cur:
            cur.execute(
                "SELECT turbine_id = %s, sum(mae_kw * rows) / nullif(sum(rows), 0) "
                "FROM forecast_quality WHERE day = %s GROUP BY 1",
                (turbine or "", day.date()))
            found = dict(cur.fetchall())
    finally:
        conn.close()
    return found.get(True, float("nan")), found.get(False, float("nan"))


def main() -> int:
    """Run the simulation and print a table, one line per simulated day."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=int, default=5)
    parser.add_argument("--fault", metavar="TURBINE", help="e.g. T03; none: no fault")
    parser.add_argument("--fault-after", type=float, default=1.0,
                        help="days from the start to the fault's onset")
    parser.add_argument("--loss", type=float, default=0.15)
    args = parser.parse_args()
    conn = connect()
    start = last_reading_time(conn).ceil("6h")
    conn.close()
    params = None
    if args.fault:
        onset = start + pd.Timedelta(days=args.fault_after)
        params = {"ingest": {"demo_farm": {"fault": {
            "turbine_id": args.fault, "start": onset.isoformat(), "loss": args.loss,
            "above_wind_speed": 8.0}}}}
        print(f"fault: {args.fault} loses {args.loss:.0%} above 8 m/s from {onset}")
    began = datetime.now(UTC)
    print("day        | faulty MAE kW | others MAE kW | trainings | verdict")
    as_of = start
    for _ in range(args.days * 4):
        as_of += STEP
        _run("ingest-flow/ingest-flow", as_of, params)
        _wait_quiet("inference-flow", began)
        if as_of.hour == 0:
            monitoring = _run("monitoring-flow/monitoring-flow", as_of)
            verdict = _verdict(monitoring.id)
            _wait_quiet("training-flow", began)
            trainings = [r.state.type.value for r in _runs("training-flow", began)]
            faulty, others = _daily_mae(as_of - pd.Timedelta(days=1), args.fault)
            print(f"{(as_of - pd.Timedelta(days=1)).date()} | {faulty:13.1f} | "
                  f"{others:13.1f} | {trainings} | {verdict}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
