"""What the overview and quality pages read: sites, turbines, freshness, quality.

Every query is answered from a primary-key prefix or a per-turbine index probe,
so its cost follows the turbines of one site, not the years of rows stored
(benchmarks/forecast_page.py times them for 6 and 1,000 turbines).
"""

from datetime import datetime, timedelta

from psycopg2.extensions import connection as Connection

from windpower.forecast_ui.db import rows

# When each input is late enough to flag, from the schedules' defaults
# (src/windpower/orchestration/flows/specs.py): readings every 10 minutes,
# weather every 6 hours; a forecast is late when the newest weather issue has
# waited this long to be scored (inference runs hourly and on each new issue).
STALE_AFTER = {"newest_reading": timedelta(minutes=30),
               "newest_weather": timedelta(hours=8),
               "newest_forecast": timedelta(hours=2)}

_SITES = """
SELECT s.site_id, s.name, s.capacity_kw,
  (SELECT count(*) FROM turbines t WHERE t.site_id = s.site_id) AS turbines,
  (SELECT max(issued_at) FROM weather_forecasts w WHERE w.site_id = s.site_id)
    AS newest_weather,
  p.issued_at AS newest_forecast, p.model_version
FROM sites s
LEFT JOIN LATERAL (
  SELECT issued_at, model_version FROM predictions p
  WHERE p.site_id = s.site_id ORDER BY issued_at DESC, model_version DESC LIMIT 1
) p ON true
ORDER BY s.site_id"""
# Newest reading per turbine: one index probe each (a site-wide max() would read
# every reading the site ever sent).
_TURBINES = """
SELECT t.site_id, t.turbine_id, t.rated_power_kw, r."timestamp" AS newest_reading,
       r.power_kw
FROM turbines t
LEFT JOIN LATERAL (
  SELECT "timestamp", power_kw FROM readings r
  WHERE r.site_id = t.site_id AND r.turbine_id = t.turbine_id
  ORDER BY "timestamp" DESC LIMIT 1
) r ON true
ORDER BY t.site_id, t.turbine_id"""


def late(site: dict, now: datetime) -> list[str]:
    """The inputs of ``site`` that are late (missing counts as late). A forecast
    is as fresh as the weather it scores: late when a newer weather issue has
    waited unscored for longer than its limit, or when it is older than the
    weather's own limit."""
    found = [name for name in STALE_AFTER if site.get(name) is None]
    found += [name for name in ("newest_reading", "newest_weather")
              if site.get(name) and now - site[name] > STALE_AFTER[name]]
    forecast, weather = site.get("newest_forecast"), site.get("newest_weather")
    unscored = forecast and weather and forecast < weather and (
        now - weather > STALE_AFTER["newest_forecast"])
    if unscored or (forecast and now - forecast > STALE_AFTER["newest_weather"]):
        found.append("newest_forecast")
    return [name.removeprefix("newest_") for name in STALE_AFTER if name in found]


def overview(conn: Connection, now: datetime) -> list[dict]:
    """Each site with its freshness, champion version and turbines."""
    sites = rows(conn, _SITES)
    turbines = rows(conn, _TURBINES)
    for site in sites:
        own = [t for t in turbines if t["site_id"] == site["site_id"]]
        readings = [t["newest_reading"] for t in own if t["newest_reading"]]
        site["newest_reading"] = max(readings, default=None)
        site["turbine_rows"] = own
        site["late"] = late(site, now)
    return sites


def sites(conn: Connection) -> list[dict]:
    return rows(conn, "SELECT site_id, name, capacity_kw FROM sites ORDER BY 1")


_QUALITY = """
SELECT q.day, q.horizon_band, q.model_version, sum(q."rows")::int AS rows,
  sum(q.mae_kw * q."rows") / sum(q."rows") AS mae_kw,
  sum(q.bias_kw * q."rows") / sum(q."rows") AS bias_kw,
  sum(q.coverage_p10_p90 * q."rows") FILTER (WHERE q.coverage_p10_p90 IS NOT NULL)
    / nullif(sum(q."rows") FILTER (WHERE q.coverage_p10_p90 IS NOT NULL), 0)
    AS coverage_p10_p90,
  count(DISTINCT q.turbine_id)::int AS turbines,
  max(q.flow_run_id) AS flow_run_id,
  coalesce(max(q.mlflow_run_id), (
    SELECT p.mlflow_run_id FROM predictions p
    WHERE p.site_id = q.site_id AND p.model_version = q.model_version LIMIT 1
  )) AS mlflow_run_id,
  max(q.mlflow_run_id) IS NOT NULL AS mlflow_is_monitoring
FROM forecast_quality q
WHERE q.site_id = %(site)s AND q.day > %(since)s
  -- No turbine named: the turbines, never the farm total ('*', scored on its
  -- own): it would count every turbine's rows a second time.
  AND (q.turbine_id = %(turbine)s
       OR (%(turbine)s::text IS NULL AND q.turbine_id <> '*'))
GROUP BY q.site_id, q.day, q.horizon_band, q.model_version
ORDER BY q.day DESC,
  array_position(ARRAY['0-6h', '6-24h', '24-48h'], q.horizon_band),
  q.model_version DESC"""


def quality(conn: Connection, site_id: str, days: int,
            turbine_id: str | None = None) -> list[dict]:
    """Per day, lead-time band and model version: MAE, bias and P10-P90
    coverage over the site's turbines (weighted by rows), or of one turbine
    (``series.FARM``: the farm total), with the runs behind.

    The MLflow run is the monitoring run that computed the row when recorded,
    else the training run of the model version that made the forecasts.
    """
    newest = rows(conn, "SELECT max(day) AS day FROM forecast_quality "
                  "WHERE site_id = %s", (site_id,))[0]["day"]
    if newest is None:
        return []
    since = newest - timedelta(days=days)
    return rows(conn, _QUALITY, {"site": site_id, "since": since,
                                 "turbine": turbine_id})
