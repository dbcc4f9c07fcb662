"""The API beside the pages (documented at /docs): a forecast as issued, JSON or
CSV, and the quality table. Times are ISO 8601 UTC, power in kW."""

import csv
import io
from datetime import UTC, datetime
from typing import Literal

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import Response

from windpower.forecast_ui import queries, series
from windpower.forecast_ui.db import reading

router = APIRouter(prefix="/api", tags=["api"])
Format = Literal["json", "csv"]
FORECAST_COLUMNS = ("site_id", "turbine_id", "issued_at", "timestamp",
                    "lead_minutes", "p10_kw", "p50_kw", "p90_kw")
QUALITY_COLUMNS = ("site_id", "turbine_id", "day", "horizon_band", "model_version",
                   "rows", "mae_kw", "bias_kw", "coverage_p10_p90", "turbines")


def iso(stamp: datetime) -> str:
    """``2026-03-01T00:10:00Z``: what a spreadsheet and a JavaScript Date read."""
    if stamp.tzinfo is None:  # a naive time asked for is UTC, as the session's
        stamp = stamp.replace(tzinfo=UTC)
    return stamp.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def chosen_issue(conn, site_id: str, issued_at: datetime | None) -> datetime:
    """The issue asked for, or the site's newest; 404 when there is none."""
    if issued_at is not None:
        return issued_at
    newest = series.issues(conn, site_id, limit=1)
    if not newest:
        raise HTTPException(404, f"no forecast issued for site {site_id!r}")
    return newest[0]


def _csv(records: list[dict], columns: tuple[str, ...], name: str) -> Response:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, columns, extrasaction="ignore",
                            lineterminator="\n")
    writer.writeheader()
    writer.writerows(records)
    return Response(buffer.getvalue(), media_type="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


def forecast_records(conn, site_id: str, turbine_id: str,
                     issued_at: datetime | None) -> tuple[list[dict], bool]:
    """The forecast as API rows (404 when that issue has none for the target)."""
    issue = chosen_issue(conn, site_id, issued_at)
    found, band = series.forecast(conn, site_id, turbine_id, issue)
    if not found:
        raise HTTPException(404, f"no forecast for {site_id}/{turbine_id} "
                                 f"issued at {iso(issue)}")
    return [{"site_id": site_id, "turbine_id": turbine_id,
             "issued_at": iso(issue), "timestamp": iso(r["timestamp"]),
             "lead_minutes": r["horizon_minutes"], "p10_kw": kw(r["p10_kw"]),
             "p50_kw": kw(r["p50_kw"]), "p90_kw": kw(r["p90_kw"])} for r in found], band


def kw(value: float | None) -> float | None:
    """To 0.1 kW: finer is noise, and a spreadsheet column stays readable."""
    return None if value is None else round(value, 1)


def _forecast(site_id: str, turbine_id: str, issued_at: datetime | None,
              fmt: Format):
    with reading() as conn:
        records, band = forecast_records(conn, site_id, turbine_id, issued_at)
    if fmt == "csv":
        stamp = records[0]["issued_at"].replace(":", "")
        label = "farm" if turbine_id == series.FARM else turbine_id
        return _csv(records, FORECAST_COLUMNS, f"{site_id}-{label}-{stamp}.csv")
    return {"site_id": site_id, "turbine_id": turbine_id,
            "issued_at": records[0]["issued_at"], "band_available": band,
            "rows": records}


ISSUED = Query(None, description="Issue time (ISO 8601); default: the newest")
FORMAT = Query("json", alias="format", description="json, or csv for a spreadsheet")


@router.get("/sites/{site_id}/forecast")
def farm_forecast(site_id: str, issued_at: datetime | None = ISSUED,
                  fmt: Format = FORMAT):
    """The farm's total forecast as issued at ``issued_at``: P10/P50/P90 in kW
    per time, with the lead time in minutes. Without a stored farm total, P50
    is the sum of the turbines' P50 and P10/P90 are empty."""
    return _forecast(site_id, series.FARM, issued_at, fmt)


@router.get("/sites/{site_id}/turbines/{turbine_id}/forecast")
def turbine_forecast(site_id: str, turbine_id: str,
                     issued_at: datetime | None = ISSUED, fmt: Format = FORMAT):
    """One turbine's forecast as issued at ``issued_at`` (P10/P50/P90, kW)."""
    return _forecast(site_id, turbine_id, issued_at, fmt)


@router.get("/sites/{site_id}/issues")
def issue_times(site_id: str) -> list[str]:
    """The site's newest forecast issue times, newest first."""
    with reading() as conn:
        return [iso(t) for t in series.issues(conn, site_id)]


@router.get("/sites/{site_id}/quality")
def quality(site_id: str, days: int = Query(7, ge=1, le=90),
            turbine: str | None = Query(
                None, description="one turbine, or * for the farm total"),
            fmt: Format = FORMAT):
    """MAE, bias (kW) and P10-P90 coverage per day, lead-time band and model
    version over the site's turbines (or of ``turbine``; ``*``: the farm total),
    for the last ``days`` days of monitoring."""
    with reading() as conn:
        found = queries.quality(conn, site_id, days, turbine)
    records = [{"site_id": site_id, "turbine_id": turbine, **r,
                "day": r["day"].isoformat()} for r in found]
    if fmt == "csv":
        return _csv(records, QUALITY_COLUMNS, f"{site_id}-quality.csv")
    return records
