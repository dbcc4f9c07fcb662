"""What the farm and turbine pages and the forecast API read: issue times, a
forecast as issued, the actuals before it and the forecasts issued for them.

``turbine_id = '*'`` is the farm total, stored beside the turbines with its own
quantiles. When an issue has no farm row, the farm forecast is the sum of the
turbines' P50 and has no band (quantiles do not add up).
"""

from datetime import datetime, timedelta

from psycopg2.extensions import connection as Connection

from windpower.forecast_ui.db import rows

FARM = "*"
WINDOW = timedelta(hours=48)
ISSUES_SHOWN = 48

# The newest issues, newest first, by a loose index scan on the primary key
# (site_id, issued_at, ...): one probe per issue, however many rows each holds.
_ISSUES = """
WITH RECURSIVE issue AS (
  (SELECT issued_at FROM predictions WHERE site_id = %(site)s
   ORDER BY issued_at DESC LIMIT 1)
  UNION ALL
  SELECT (SELECT p.issued_at FROM predictions p
          WHERE p.site_id = %(site)s AND p.issued_at < i.issued_at
          ORDER BY p.issued_at DESC LIMIT 1)
  FROM issue i WHERE i.issued_at IS NOT NULL
)
SELECT issued_at FROM issue WHERE issued_at IS NOT NULL LIMIT %(limit)s"""
# One forecast as issued; the newest model version when two scored the issue.
_FORECAST = """
SELECT DISTINCT ON ("timestamp") "timestamp", horizon_minutes,
  p10_power_kw AS p10_kw, predicted_power_kw AS p50_kw, p90_power_kw AS p90_kw,
  model_version, mlflow_run_id, flow_run_id
FROM predictions
WHERE site_id = %(site)s AND issued_at = %(issued)s AND turbine_id = %(turbine)s
ORDER BY "timestamp", model_version DESC"""
_FARM_SUM = """
SELECT "timestamp", min(horizon_minutes) AS horizon_minutes,
  NULL::float8 AS p10_kw, sum(predicted_power_kw) AS p50_kw, NULL::float8 AS p90_kw,
  max(model_version) AS model_version, max(mlflow_run_id) AS mlflow_run_id,
  max(flow_run_id) AS flow_run_id
FROM predictions
WHERE site_id = %(site)s AND issued_at = %(issued)s AND turbine_id <> '*'
GROUP BY "timestamp" ORDER BY "timestamp\""""
# For each past time, the newest forecast issued before it (and by the issue
# shown): what was known last about that time.
_PAST = """
SELECT DISTINCT ON ("timestamp") "timestamp", issued_at, p10_power_kw AS p10_kw,
  predicted_power_kw AS p50_kw, p90_power_kw AS p90_kw
FROM predictions
WHERE site_id = %(site)s AND turbine_id = %(turbine)s
  AND "timestamp" > %(start)s AND "timestamp" <= %(issued)s
  AND issued_at < "timestamp" AND issued_at <= %(issued)s
ORDER BY "timestamp", issued_at DESC, model_version DESC"""
_ACTUALS = """
SELECT r."timestamp", sum(r.power_kw) AS power_kw, count(*)::int AS turbines
FROM turbines t
JOIN readings r ON r.site_id = t.site_id AND r.turbine_id = t.turbine_id
WHERE t.site_id = %(site)s AND (%(turbine)s = '*' OR t.turbine_id = %(turbine)s)
  AND r."timestamp" > %(start)s AND r."timestamp" <= %(issued)s
GROUP BY r."timestamp" ORDER BY r."timestamp\""""


def issues(conn: Connection, site_id: str, limit: int = ISSUES_SHOWN
           ) -> list[datetime]:
    """The site's newest forecast issue times, newest first."""
    found = rows(conn, _ISSUES, {"site": site_id, "limit": limit})
    return [r["issued_at"] for r in found]


def forecast(conn: Connection, site_id: str, turbine_id: str,
             issued_at: datetime) -> tuple[list[dict], bool]:
    """The forecast of one turbine (or the farm, ``'*'``) issued at
    ``issued_at``, and whether it has its P10-P90 band."""
    params = {"site": site_id, "issued": issued_at, "turbine": turbine_id}
    found = rows(conn, _FORECAST, params)
    if found or turbine_id != FARM:
        return found, True
    return rows(conn, _FARM_SUM, params), False


def history(conn: Connection, site_id: str, turbine_id: str,
            issued_at: datetime) -> dict[str, list[dict]]:
    """The 48 h before the issue: actuals and the forecasts issued for them
    (the farm's only where its total was stored)."""
    params = {"site": site_id, "turbine": turbine_id, "issued": issued_at,
              "start": issued_at - WINDOW}
    return {"actuals": rows(conn, _ACTUALS, params),
            "forecasts": rows(conn, _PAST, params)}
