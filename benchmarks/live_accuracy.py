"""Live accuracy on the running stack: replay a week of issues, judge them.

    docker compose up -d --wait                       # a throwaway stack
    docker compose run --rm trainer python -m benchmarks.live_accuracy --days 7

Waits for a fresh stack's first forecast (its champion saw only what existed
then), ingests the demo farm up to ``--days`` later, scores every 6-hourly issue
of those days with inference at its own issue time (the model sees only the
readings before each issue), runs monitoring at the end and prints the live
per-lead-band table from ``forecast_quality``. It moves the stack's data into the
simulated future: do not run it on a stack you keep.
"""

from __future__ import annotations

import argparse
import time

import pandas as pd

from tests.e2e.stack import RUN_TIMEOUT_S, query, run

QUALITY = """
SELECT coalesce(site_id, 'all'), horizon_band, sum(rows),
       sum(mae_kw * rows) / sum(rows), sum(bias_kw * rows) / sum(rows),
       sum(mae_pct_rated * rows) / sum(rows),
       sum(coverage_p10_p90 * rows) / sum(rows),
       sum(persistence_mae_kw * rows) / sum(rows),
       sum(baseline_mae_kw * rows) / sum(rows), sum(pinball_kw * rows) / sum(rows)
FROM forecast_quality WHERE day > %s AND day <= %s
  AND turbine_id <> '*'  -- the turbines: the farm total is scored apart
GROUP BY GROUPING SETS ((site_id, horizon_band), (horizon_band))
ORDER BY site_id NULLS LAST, min(CASE horizon_band WHEN '0-6h' THEN 0
                                  WHEN '6-24h' THEN 1 ELSE 2 END)"""


def first_issue() -> pd.Timestamp:
    """The issue of the stack's first forecast, once it is stored."""
    deadline = time.monotonic() + RUN_TIMEOUT_S
    while not query("SELECT 1 FROM predictions LIMIT 1"):
        if time.monotonic() > deadline:
            raise SystemExit(f"no forecast stored in {RUN_TIMEOUT_S} s")
        time.sleep(5)
    return pd.Timestamp(query("SELECT max(issued_at) FROM predictions")[0][0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=7)
    args = parser.parse_args()
    start = first_issue()
    end = start + pd.Timedelta(days=args.days)
    began = time.monotonic()
    # Inference and monitoring run per site, each to its end: a run without a
    # site only starts its sites' runs, so the next step would not wait for them.
    sites = [site for (site,) in query("SELECT site_id FROM sites ORDER BY 1")]
    run("ingest-flow/ingest-flow", as_of=end.isoformat())  # every site, one run
    issues = pd.date_range(start + pd.Timedelta(hours=6), end, freq="6h")
    for issue in issues:
        for site in sites:
            run("inference-flow/inference-flow", site=site, as_of=issue.isoformat())
    for site in sites:
        run("monitoring-flow/monitoring-flow", site=site, as_of=end.isoformat())
    print(f"{len(issues)} issues after {start} scored and judged in "
          f"{time.monotonic() - began:.0f} s\n")
    print("| site | lead | rows | MAE kW | bias kW | NMAE % | P10-P90 coverage | "
          "persistence MAE kW | binned-curve MAE kW | pinball kW |\n"
          "|---|---|---|---|---|---|---|---|---|---|")
    for site, band, n, *values in query(QUALITY, (start.date(), end.date())):
        cells = " | ".join(f"{v:.3f}" if i == 3 else f"{v:.1f}"
                           for i, v in enumerate(values))
        print(f"| {site} | {band} | {n} | {cells} |")


if __name__ == "__main__":
    main()
