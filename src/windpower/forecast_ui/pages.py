"""The HTML pages: server-rendered tables, and the data each chart draws
embedded as JSON for static/chart.js (plotly.js, served from the package)."""

from datetime import UTC, datetime
from pathlib import Path

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.templating import Jinja2Templates

from windpower.forecast_ui import links, monitoring, queries, series
from windpower.forecast_ui.api import chosen_issue, iso
from windpower.forecast_ui.db import reading

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(Path(__file__).parent / "templates")
templates.env.filters["utc"] = lambda t: t.strftime("%Y-%m-%d %H:%M UTC") if t else "–"
templates.env.filters["kw"] = lambda v: "–" if v is None else f"{v:,.0f}"
templates.env.globals |= {"prefect_run": links.prefect_run,
                          "mlflow_run": links.mlflow_run}


@router.get("/")
def overview(request: Request):
    now = datetime.now(UTC)
    with reading() as conn:
        sites = queries.overview(conn, now)
    for site in sites:
        site["report"] = report = monitoring.degradation(site["site_id"])
        degraded = set(report["turbines"]) if report else set()
        site["degraded"] = [t["turbine_id"] for t in site["turbine_rows"]
                            if t["turbine_id"] in degraded]
        if site["degraded"]:
            site["late"].append("degraded turbines")
    return templates.TemplateResponse(request, "overview.html", {
        "sites": sites, "now": now,
        "stale_after": queries.STALE_AFTER})


def _chart_page(request: Request, site_id: str, turbine_id: str,
                issued_at: datetime | None):
    with reading() as conn:
        site = next((s for s in queries.sites(conn) if s["site_id"] == site_id),
                    None)
        if site is None:
            raise HTTPException(404, f"no site {site_id!r}")
        issues = series.issues(conn, site_id)
        issue = chosen_issue(conn, site_id, issued_at) if issues else None
        future, band = series.forecast(conn, site_id, turbine_id, issue) if (
            issue) else ([], True)
        past = series.history(conn, site_id, turbine_id, issue) if issue else {}
    chart = {"future": [_point(r) for r in future], "band": band,
             "actuals": [_point(r) for r in past.get("actuals", [])],
             "before": [_point(r) for r in past.get("forecasts", [])]}
    return templates.TemplateResponse(request, "forecast.html", {
        "site": site, "turbine_id": turbine_id, "farm": turbine_id == series.FARM,
        "issues": issues, "issue": issue, "future": future, "band": band,
        "chart": chart, "iso": iso})


def _point(row: dict) -> dict:
    """A row for the chart: ISO UTC time, the numbers as they are."""
    return {k: (iso(v) if isinstance(v, datetime) else v) for k, v in row.items()
            if k in ("timestamp", "issued_at", "p10_kw", "p50_kw", "p90_kw",
                     "power_kw", "horizon_minutes")}


ISSUED = Query(None, description="issue time; default the newest")


@router.get("/sites/{site_id}")
def farm(request: Request, site_id: str, issued_at: datetime | None = ISSUED):
    return _chart_page(request, site_id, series.FARM, issued_at)


@router.get("/sites/{site_id}/turbines/{turbine_id}")
def turbine(request: Request, site_id: str, turbine_id: str,
            issued_at: datetime | None = ISSUED):
    return _chart_page(request, site_id, turbine_id, issued_at)


@router.get("/sites/{site_id}/quality")
def quality(request: Request, site_id: str, days: int = Query(7, ge=1, le=90)):
    with reading() as conn:
        found = queries.quality(conn, site_id, days)
        farm = queries.quality(conn, site_id, days, series.FARM)
    return templates.TemplateResponse(request, "quality.html", {
        "site_id": site_id, "days": days, "rows": found, "farm_rows": farm})
