"""Prefect flow ``training-flow``: the Kedro ``data_processing`` and ``training``
pipelines, each node a Prefect task, then a training report artifact.

  python services/prefect/training_flow.py run    # once, now; no server set: local
  python services/prefect/training_flow.py serve  # the training-flow container

``serve`` registers ``training-flow/training-pool`` (work pool, run by the worker,
started by hand) and serves ``training-flow/training-flow`` on its schedule; a
served deployment has no work pool, its runs execute in the serving container.
"""

from __future__ import annotations

import sys
from typing import Any

from prefect import flow

from windpower.orchestration.cli import main
from windpower.orchestration.deployments import ServeConfig
from windpower.orchestration.guard import TRAINING_LIMIT, run_exclusively
from windpower.orchestration.session import run_kedro_pipelines
from windpower.orchestration.tasks import link_mlflow_run, publish_training_report

PIPELINES = ("data_processing", "training")
SUMMARY = "training_summary"
ENTRYPOINT = "services/prefect/training_flow.py:training_flow"
# A run that has not finished in this time is failed, never left Running.
TIMEOUT_SECONDS = 2 * 60 * 60


@flow(
    name="training-flow",
    description="Process the raw data, train and evaluate the model, register it "
    "and promote it to champion when it beats the current one.",
    timeout_seconds=TIMEOUT_SECONDS,
)
def training_flow(
    kedro_env: str | None = None, params: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Train once (never two at a time) and publish the training report.

    Args:
        kedro_env: Kedro configuration environment (``KEDRO_ENV`` when unset).
        params: Kedro parameter overrides, as ``kedro run --params``.

    Returns:
        The ``training_summary`` of the Kedro run.
    """
    with run_exclusively(TRAINING_LIMIT):
        result = run_kedro_pipelines(
            PIPELINES, [SUMMARY], env=kedro_env, runtime_params=params
        )
    summary = result.outputs[SUMMARY]
    link = link_mlflow_run(summary["mlflow_run_id"], return_state=True)
    publish_training_report(summary, link.result() if link.is_completed() else None)
    return summary


if __name__ == "__main__":
    defaults = ServeConfig(
        name="training-flow",
        pool_deployment="training-pool",
        queue="training-queue",
        interval_minutes=60,
        tags=["windpower", "training"],
        description="Scheduled training of the wind-power model.",
        run_on_start=True,
    )
    sys.exit(
        main(
            training_flow,
            defaults,
            prefix="TRAINING",
            entrypoint=ENTRYPOINT,
            limit_name=TRAINING_LIMIT,
            description=__doc__,
        )
    )
