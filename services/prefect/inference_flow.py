"""Prefect flow ``inference-flow``: the Kedro ``inference`` pipeline (champion
model over the weather forecast, predictions into Postgres), each node a Prefect
task, then an inference report artifact.

  python services/prefect/inference_flow.py run    # once, now; no server set: local
  python services/prefect/inference_flow.py serve  # the inference-flow container

``serve`` registers ``inference-flow/inference-pool`` (work pool, run by the
worker, started by hand) and serves ``inference-flow/inference-flow`` on its
schedule and after each completed training run; a served deployment has no work
pool, its runs execute in the serving container.
"""

from __future__ import annotations

import sys
from typing import Any

from prefect import flow

from windpower.orchestration.cli import main
from windpower.orchestration.deployments import ServeConfig
from windpower.orchestration.guard import INFERENCE_LIMIT, run_exclusively
from windpower.orchestration.session import run_kedro_pipelines
from windpower.orchestration.tasks import publish_inference_report

PIPELINES = ("inference",)
SUMMARY = "inference_summary"
ENTRYPOINT = "services/prefect/inference_flow.py:inference_flow"
# A run that has not finished in this time is failed, never left Running.
TIMEOUT_SECONDS = 60 * 60


@flow(
    name="inference-flow",
    description="Score the weather forecast with the champion model and write the "
    "power predictions to Postgres.",
    timeout_seconds=TIMEOUT_SECONDS,
)
def inference_flow(
    kedro_env: str | None = None, params: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Predict once (never two at a time) and publish the inference report.

    Args:
        kedro_env: Kedro configuration environment (``KEDRO_ENV`` when unset).
        params: Kedro parameter overrides, as ``kedro run --params``.

    Returns:
        The ``inference_summary`` of the Kedro run.
    """
    with run_exclusively(INFERENCE_LIMIT):
        result = run_kedro_pipelines(
            PIPELINES, [SUMMARY], env=kedro_env, runtime_params=params
        )
    summary = result.outputs[SUMMARY]
    publish_inference_report(summary)
    return summary


if __name__ == "__main__":
    defaults = ServeConfig(
        name="inference-flow",
        pool_deployment="inference-pool",
        queue="inference-queue",
        interval_minutes=60,
        tags=["windpower", "inference"],
        description="Scheduled scoring of the weather forecast.",
        run_on_start=False,
        after_flow="training-flow",
    )
    sys.exit(
        main(
            inference_flow,
            defaults,
            prefix="INFERENCE",
            entrypoint=ENTRYPOINT,
            limit_name=INFERENCE_LIMIT,
            description=__doc__,
        )
    )
