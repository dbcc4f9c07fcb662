"""Prefect tasks of the ingest flow: each demo site's turbines, readings and weather
forecasts into Postgres, from the newest stored up to ``as_of``, in bounded chunks.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import pandas as pd
from prefect import task

from windpower.demo_farm import DemoSite, forecast_issue_times
from windpower.store import connect
from windpower.store.ingest import IngestResult, ingest_frame
from windpower.store.readers import last_reading_time
from windpower.store.sites import Site, register_site

STEP = pd.Timedelta(minutes=10)
# Readings are generated and loaded this many days at a time: bounded memory.
CHUNK_DAYS = 30


@task(task_run_name="stream_demo_readings {demo.site_id}")
def stream_demo_readings(demo: DemoSite, history_days: float, as_of: pd.Timestamp,
                         rules: dict[str, Any]) -> list[dict[str, Any]]:
    """Register the demo site, store its turbines and its readings from the last
    stored one to ``as_of`` (``history_days`` back on an empty site)."""
    end = as_of.floor("10min") + STEP  # readings stamped up to as_of
    farm, site, source = demo.farm, demo.site_id, f"demo-farm {demo.site_id}"
    conn = connect()
    try:
        register_site(conn, Site(site, demo.name, demo.time_zone, demo.latitude,
                                 demo.longitude))
        results = [ingest_frame(conn, "turbines", farm.turbines(), source, as_of,
                                params=rules, site=site)]
        last = last_reading_time(conn, site)
        start = last + STEP if last is not None else end - pd.Timedelta(
            days=history_days)
        while start < end:
            stop = min(start + pd.Timedelta(days=CHUNK_DAYS), end)
            frame = farm.readings(start, stop)
            results.append(ingest_frame(conn, "scada", frame, source, as_of,
                                        params=rules, site=site))
            start = stop
    finally:
        conn.close()
    return [_summary(r) for r in results]


@task(task_run_name="stream_demo_forecasts {demo.site_id}")
def stream_demo_forecasts(demo: DemoSite, params: dict[str, Any],
                          as_of: pd.Timestamp, rules: dict[str, Any]
                          ) -> dict[str, Any]:
    """Store the demo site's weather forecasts issued since the last stored one up
    to ``as_of`` (``history_days`` back on an empty site, like the readings),
    ``CHUNK_DAYS`` of issues at a time."""
    farm, site, source = demo.farm, demo.site_id, f"demo-farm {demo.site_id}"
    conn = connect()
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT max(issued_at) FROM weather_forecasts "
                        "WHERE site_id = %s", (site,))
            last = cur.fetchone()[0]
        oldest = as_of - pd.Timedelta(days=params["history_days"])
        since = oldest if last is None else max(pd.Timestamp(last), oldest)
        issues = forecast_issue_times(since, as_of, params["forecast_every_hours"])
        results = [
            ingest_frame(conn, "forecast",
                         farm.weather_forecasts(chunk, params["forecast_hours"]),
                         source, as_of, params=rules, site=site)
            for chunk in _issue_chunks(issues)]
    finally:
        conn.close()
    if not results:
        return {"issued": []}
    # The newest issues only: a year's back-fill would put 1,460 times into the
    # report and the event (inference scores the newest one anyway).
    return {"issued": [t.isoformat() for t in issues[-4:]],
            "issues_stored": len(issues), **_merged(results)}


def _issue_chunks(issues: pd.DatetimeIndex) -> list[pd.DatetimeIndex]:
    """``issues`` in runs of ``CHUNK_DAYS``: a year's back-fill in bounded memory."""
    if not len(issues):
        return []
    chunk = (issues - issues[0]) // pd.Timedelta(days=CHUNK_DAYS)
    return [issues[chunk == i] for i in range(chunk.max() + 1)]


def _merged(results: list[IngestResult]) -> dict[str, Any]:
    """One summary of the chunks' results: counts summed, the first refusal."""
    parts = [_summary(r) for r in results]
    refused = [p for p in parts if p["status"] == "refused"]
    merged = dict(refused[0] if refused else parts[-1])
    for count in ("rows_accepted", "rows_rejected", "rows_written"):
        merged[count] = sum(p[count] for p in parts)
    return merged


def _summary(result: IngestResult) -> dict[str, Any]:
    return {k: v for k, v in asdict(result).items() if k != "sha256"}
