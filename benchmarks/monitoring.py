"""Monitoring on a month of a 6-turbine farm: 30 days x 8 forecast issues a day x
288 ten-minute steps (48 h) x 6 turbines = 414,720 prediction rows, and the farm
total's 69,120 beside them.

Starts a throwaway Postgres (testcontainers), loads the farm with COPY, then times
what the monitoring pipeline does after the champion is loaded: the catalog's
queries, scoring (turbines and farm total), forecast quality, detection, the
forecast_quality upsert and the two plots.

    python benchmarks/monitoring.py [--repeat 3]   (COMMIT=<sha> to print it)
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import UTC, datetime

import pandas as pd
import psycopg2
import yaml
from common import ROOT, load, machine, spread
from testcontainers.core.container import DockerContainer
from testcontainers.core.wait_strategies import ExecWaitStrategy

sys.path.insert(0, str(ROOT))
from tests import monitoring_farm as farm  # noqa: E402
from tests.conftest import load_params  # noqa: E402
from tests.integration.store_schema import (  # noqa: E402
    SITE,
    copy_frame,
    create_tables,
)
from windpower import farm_total  # noqa: E402
from windpower.datasets.sql import (  # noqa: E402
    PostgresQueryDataset,
    PostgresUpsertDataset,
)
from windpower.pipelines.monitoring import nodes, plots, report  # noqa: E402

TURBINES = [f"WT{i:02d}" for i in range(1, 7)]
DAYS, ISSUE_HOURS, HORIZON_STEPS = 30, 3, 288
START = pd.Timestamp("2026-10-01T00:00Z")
AS_OF = START + pd.Timedelta(days=DAYS + 30)
TARGET_S = 10.0


def start_postgres() -> tuple[DockerContainer, str]:
    container = (DockerContainer("postgres:17").with_env("POSTGRES_PASSWORD", "bench")
                 .with_exposed_ports(5432)
                 .waiting_for(ExecWaitStrategy(["pg_isready", "-h", "127.0.0.1"])))
    container.start()
    host = container.get_container_host_ip()
    port = container.get_exposed_port(5432)
    return container, f"postgresql://postgres:bench@{host}:{port}/postgres"


def load_farm(url: str) -> int:
    """30 days of training-window readings, then the monitored month."""
    create_tables(url)
    copy_frame(url, "turbines", farm.turbines_frame(TURBINES))
    reads = farm.readings(TURBINES, str(START), DAYS + 30, seed=1,
                          losses={"WT03": 0.15})
    copy_frame(url, "readings", reads)
    # Issues from 2 days before the window, so every target time in it has the
    # 16 forecasts (48 h / 3 h) it would have in production.
    recent = reads.loc[reads["timestamp"] >= START + pd.Timedelta(days=28)]
    weather, predictions = farm.forecasts(recent, ISSUE_HOURS, HORIZON_STEPS, seed=1)
    copy_frame(url, "weather_forecasts", weather)
    copy_frame(url, "predictions", predictions)
    rated = pd.Series(farm.RATED_KW, index=TURBINES)
    copy_frame(url, "predictions", farm_total.farm_rows(predictions, rated, None))
    connection = psycopg2.connect(url)
    connection.autocommit = True
    # What autovacuum does after a bulk load; the planner needs the counts.
    connection.cursor().execute("VACUUM ANALYZE")
    connection.close()
    window = predictions["timestamp"] > AS_OF - pd.Timedelta(days=DAYS)
    return int(window.sum())


def _query(name: str, **params) -> PostgresQueryDataset:
    entry = yaml.safe_load((ROOT / "conf/base/catalog.yml").read_text())[name]
    return PostgresQueryDataset(sql=entry["sql"], load_args=dict(
        entry.get("load_args", {}), params={"site": SITE, **params}))


def monitor_once(params: dict) -> dict[str, float]:
    """One monitoring pass; seconds per stage."""
    reference = {"version": 1, "run_id": "run-1", "curve": farm.known_curve(TURBINES),
                 "holdout_mae_kw": 60.0, "holdout_mae_pct_rated": 3.0,
                 "train_start": str(START), "train_end": str(START + pd.Timedelta(
                     days=30))}
    seconds, mark = {}, time.perf_counter()

    def lap(stage: str) -> None:
        nonlocal mark
        now = time.perf_counter()
        seconds[stage], mark = now - mark, now

    rows = _query("monitoring_rows", as_of=str(AS_OF), window_days=DAYS).load()
    lap("rows query (join, COPY, parse)")
    farm_rows = _query("monitoring_farm_rows", as_of=str(AS_OF),
                       window_days=DAYS).load()
    lap("farm total query")
    readings = _query("monitoring_readings", as_of=str(AS_OF), window_days=DAYS).load()
    turbines = _query("monitoring_turbines").load()
    histograms = _query("monitoring_wind_histograms", as_of=str(AS_OF),
                        window_days=DAYS,
                        lookback_days=params["lookback_days"]).load()
    lap("other queries")
    scored = nodes.score_forecasts(rows, turbines, reference)
    readings = nodes.score_readings(readings, turbines, reference)
    quality = nodes.compute_forecast_quality(
        scored, nodes.score_farm_forecasts(farm_rows, scored))
    lap("score + quality")
    result, signals = report.detect_degradation(scored, readings, histograms, reference,
                                               params)
    report.summarise_monitoring(quality, signals, result)
    lap("detection")
    PostgresUpsertDataset("forecast_quality", ["site_id", *nodes.QUALITY_KEY],
                          site=SITE).save(quality)
    lap("upsert")
    plots.plot_forecast_vs_actual(scored, result, params["plots"])
    plots.plot_error_by_horizon(scored, result)
    lap("plots")
    seconds["rows"], seconds["named"] = len(rows), ",".join(result["turbines"])
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    # Resolved as a run sees them (the file holds ${globals:...} references).
    params = load_params("monitoring") | {"as_of": str(AS_OF)}
    container, url = start_postgres()
    try:
        os.environ["WINDPOWER_DB_URL"] = url
        started = time.perf_counter()
        n = load_farm(url)
        print(f"loaded {n} predictions in {time.perf_counter() - started:.0f} s")
        runs = [monitor_once(params) for _ in range(args.repeat)]
    finally:
        container.stop()
    totals = [sum(v for k, v in r.items() if k not in ("rows", "named")) for r in runs]
    print(f"# monitoring benchmark, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, "
          f"commit {os.environ.get('COMMIT', 'unknown')}, load {load()}")
    print(f"machine: {machine()}")
    print(f"joined rows: {runs[0]['rows']}, turbines named: {runs[0]['named']}")
    over = sum(t > TARGET_S for t in totals)
    print(f"monitoring pass: {spread(totals)}; target <= {TARGET_S:.0f} s: median "
          f"{'met' if sorted(totals)[len(totals) // 2] <= TARGET_S else 'NOT met'}, "
          f"{over} of {len(totals)} runs over")
    for stage in [k for k in runs[0] if k not in ("rows", "named")]:
        print(f"  {stage}: {spread([r[stage] for r in runs], digits=2)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
