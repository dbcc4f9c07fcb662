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

from windpower.orchestration.cli import main
from windpower.orchestration.deployments import ServeConfig
from windpower.orchestration.events import emit_degradation_event
from windpower.orchestration.guard import MONITORING_LIMIT, run_guarded
from windpower.orchestration.tasks import publish_monitoring_report

PIPELINES = ("monitoring",)
SUMMARY = "monitoring_summary"
# A run that has not finished in this time is failed, never left Running.
TIMEOUT_SECONDS = 30 * 60


@flow(
    name="monitoring-flow",
    description="Measure the forecasts against the readings that came true, write "
    "forecast_quality, and emit windpower.model.degraded on evidence.",
    timeout_seconds=TIMEOUT_SECONDS,
)
def monitoring_flow(
    as_of: datetime | None = None,
    kedro_env: str | None = None,
    params: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Monitor once (never two at a time), report, and announce a degradation.

    Args:
        as_of: Judge the forecasts of target times up to this time (default: now).
        kedro_env: Kedro configuration environment (``KEDRO_ENV`` when unset).
        params: Kedro parameter overrides, as ``kedro run --params``.

    Returns:
        The ``monitoring_summary``: degradation report and quality per band.
    """
    stamp, summary = run_guarded(MONITORING_LIMIT, PIPELINES, SUMMARY, as_of, kedro_env,
                                 params)
    publish_monitoring_report(summary)
    emit_degradation_event(summary, stamp.isoformat())
    return summary


if __name__ == "__main__":
    defaults = ServeConfig(
        name="monitoring-flow",
        interval_minutes=60,
        tags=["windpower", "monitoring"],
        description="Hourly: forecast quality against actuals, degradation, drift.",
        run_on_start=False,
    )
    sys.exit(main(monitoring_flow, defaults, prefix="MONITORING", description=__doc__))
