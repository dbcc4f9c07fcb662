"""Prefect flow ``monitoring-flow``: the Kedro ``monitoring`` pipeline (forecasts
against what really happened, per turbine, day and horizon band; degradation and
drift per turbine), each node a Prefect task, then a monitoring report artifact and,
on evidence, the event ``windpower.model.degraded`` that retrains the model.

  python services/prefect/monitoring_flow.py run    # once, now; no server needed
  python services/prefect/monitoring_flow.py serve  # the monitoring-flow container

``serve`` serves ``monitoring-flow/monitoring-flow`` hourly; its runs execute in
the serving container. ``monitoring-flow/monitoring-pool`` (prefect.yaml) runs on
the worker, started by hand.
"""

# No `from __future__ import annotations`: Prefect builds the parameter model from
# the annotations at run time, in a process where string annotations such as
# "datetime" do not resolve.
import sys
from datetime import datetime
from typing import Any

from prefect import flow

from windpower.orchestration.flows.guard import run_guarded
from windpower.orchestration.flows.parameters import (
    KEDRO_ENV,
    PARAMS,
    SITE,
    site_run_name,
)
from windpower.orchestration.flows.sites import for_each_site
from windpower.orchestration.flows.specs import MONITORING
from windpower.orchestration.flows.tasks import publish_monitoring_report
from windpower.orchestration.serving.cli import main
from windpower.orchestration.serving.events import emit_degradation_event


@flow(name=MONITORING.name, description=MONITORING.description,
      flow_run_name=site_run_name, timeout_seconds=MONITORING.timeout_seconds)
def monitoring_flow(as_of: datetime | None = None, kedro_env: str | None = KEDRO_ENV,
                    params: dict[str, Any] | None = PARAMS,
                    site: str | None = SITE) -> dict[str, Any]:
    """Monitor a site once (never two at a time per site), report, and announce a
    degradation of its model; no site: every site.

    Args:
        as_of: Judge the forecasts of target times up to this time (default: now).

    Returns:
        The ``monitoring_summary``: degradation report and quality per band (per
        site, for every site).
    """
    return for_each_site(MONITORING, site, as_of, kedro_env, params, body=_monitor)


def _monitor(site: str, as_of: datetime | None, kedro_env: str | None,
             params: dict[str, Any] | None) -> dict[str, Any]:
    stamp, summary = run_guarded(MONITORING, site, as_of, kedro_env, params)
    publish_monitoring_report(summary)
    emit_degradation_event(site, summary, stamp.isoformat())
    return summary


if __name__ == "__main__":
    sys.exit(main(monitoring_flow, MONITORING.serve_config(), description=__doc__))
