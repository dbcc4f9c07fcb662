"""The turbines monitoring names as degraded: a site's newest run's report in
MLflow.

The report (``degradation_report.json`` of the site's newest finished run of the
``windpower-monitoring`` experiment, tagged ``windpower.site``) is the
monitoring's own verdict; nothing in
Postgres holds it. Read through MLflow's REST API with a short timeout and kept
for a minute, so an overview costs at most three small requests a minute, and a
slow or absent MLflow shows "unknown" instead of a slow page.
"""

import base64
import json
import logging
import os
import time
import urllib.error
import urllib.parse
import urllib.request

logger = logging.getLogger(__name__)
EXPERIMENT = "windpower-monitoring"
TIMEOUT_S = 2.0
KEEP_S = 60.0
_cache: dict[str, tuple[float, dict | None]] = {}


def _get(base: str, path: str, body: dict | None = None) -> dict:
    request = urllib.request.Request(
        base.rstrip("/") + path, method="POST" if body is not None else "GET",
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Content-Type": "application/json"})
    user = os.environ.get("MLFLOW_TRACKING_USERNAME")
    if user:  # the basic-auth app is on (docker/entrypoint.sh)
        token = f"{user}:{os.environ.get('MLFLOW_TRACKING_PASSWORD', '')}"
        request.add_header("Authorization",
                           "Basic " + base64.b64encode(token.encode()).decode())
    with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
        return json.loads(response.read())


def _newest_report(base: str, site: str) -> dict:
    name = urllib.parse.quote(EXPERIMENT)
    try:
        experiment = _get(base, f"/api/2.0/mlflow/experiments/get-by-name?"
                                f"experiment_name={name}")["experiment"]
    except urllib.error.HTTPError as error:
        if error.code != 404:  # noqa: PLR2004
            raise
        return {"turbines": [], "run_id": None}  # no monitoring run yet
    found = _get(base, "/api/2.0/mlflow/runs/search", {
        "experiment_ids": [experiment["experiment_id"]], "max_results": 1,
        "filter": f"attributes.status = 'FINISHED' and "
                  f"tags.`windpower.site` = '{site}'",
        "order_by": ["attributes.start_time DESC"]}).get("runs", [])
    if not found:
        return {"turbines": [], "run_id": None}
    run_id = found[0]["info"]["run_id"]
    report = _get(base, "/get-artifact?path=degradation_report.json&run_uuid="
                  + urllib.parse.quote(run_id))
    return {"turbines": list(report.get("turbines", [])), "run_id": run_id,
            "experiment_id": experiment["experiment_id"]}


def degradation(site: str) -> dict | None:
    """``{"turbines", "run_id", "experiment_id"}`` of the site's newest
    monitoring run, or None when MLflow is not configured or does not answer."""
    base = os.environ.get("MLFLOW_TRACKING_URI", "")
    if not base.startswith("http"):
        return None
    kept = _cache.get(base + site)
    if kept and time.monotonic() - kept[0] < KEEP_S:
        return kept[1]
    try:
        report = _newest_report(base, site)
    except (OSError, ValueError, KeyError) as error:
        logger.warning("monitoring report not read from MLflow: %s", error)
        report = None
    _cache[base + site] = (time.monotonic(), report)
    return report
