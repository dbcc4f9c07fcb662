"""Prefect flow ``training-flow``: the Kedro ``data_processing`` and ``training``
pipelines over the readings in Postgres, each node a Prefect task, then a training
report artifact.

  python services/prefect/training_flow.py run    # once, now; no server set: local
  python services/prefect/training_flow.py serve  # the training-flow container

``serve`` serves ``training-flow/training-flow`` daily and on the events
``windpower.model.missing`` (a fresh stack) and ``windpower.model.degraded``
(monitoring's evidence, at most once per cooldown); its runs execute in the
serving container. ``training-flow/training-pool`` (prefect.yaml) runs on the
worker, started by hand.
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
from windpower.orchestration.events import (
    DEGRADED_EVENT,
    MISSING_EVENT,
    emit_model_promoted,
)
from windpower.orchestration.guard import TRAINING_LIMIT, run_guarded
from windpower.orchestration.tasks import link_mlflow_run, publish_training_report

PIPELINES = ("data_processing", "training")
SUMMARY = "training_summary"
# A run that has not finished in this time is failed, never left Running.
TIMEOUT_SECONDS = 2 * 60 * 60


@flow(
    name="training-flow",
    description="Train on the readings of the training window before as_of, "
    "evaluate, register the model and promote it to champion when it beats the "
    "current one.",
    timeout_seconds=TIMEOUT_SECONDS,
)
def training_flow(
    as_of: datetime | None = None,
    kedro_env: str | None = None,
    params: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Train once (never two at a time) and publish the training report.

    Args:
        as_of: Train on what was stored up to this time (default: now).
        kedro_env: Kedro configuration environment (``KEDRO_ENV`` when unset).
        params: Kedro parameter overrides, as ``kedro run --params``.

    Returns:
        The ``training_summary`` of the Kedro run.
    """
    stamp, summary = run_guarded(TRAINING_LIMIT, PIPELINES, SUMMARY, as_of, kedro_env,
                                 params)
    link = link_mlflow_run(summary["mlflow_run_id"], return_state=True)
    publish_training_report(summary, link.result() if link.is_completed() else None)
    if summary.get("alias") == "champion":
        emit_model_promoted(stamp.isoformat(), int(summary["model_version"]),
                            str(summary["mlflow_run_id"]))
    return summary


if __name__ == "__main__":
    defaults = ServeConfig(
        name="training-flow",
        interval_minutes=24 * 60,
        tags=["windpower", "training"],
        description="Daily training of the wind-power model, and on evidence.",
        run_on_start=False,
        events=(MISSING_EVENT, DEGRADED_EVENT),
    )
    sys.exit(main(training_flow, defaults, prefix="TRAINING", description=__doc__))
