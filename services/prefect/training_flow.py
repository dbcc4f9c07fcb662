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

from windpower.orchestration.flows.guard import run_guarded
from windpower.orchestration.flows.parameters import (
    KEDRO_ENV,
    PARAMS,
    SITE,
    site_run_name,
)
from windpower.orchestration.flows.sites import for_each_site
from windpower.orchestration.flows.specs import TRAINING
from windpower.orchestration.flows.tasks import link_mlflow_run, publish_training_report
from windpower.orchestration.serving.cli import main
from windpower.orchestration.serving.events import emit_model_promoted


@flow(name=TRAINING.name, description=TRAINING.description,
      flow_run_name=site_run_name, timeout_seconds=TRAINING.timeout_seconds)
def training_flow(as_of: datetime | None = None, kedro_env: str | None = KEDRO_ENV,
                  params: dict[str, Any] | None = PARAMS,
                  site: str | None = SITE) -> dict[str, Any]:
    """Train a site's model once (never two at a time per site), publish the
    training report and announce a new champion; no site: every site.

    Args:
        as_of: Train on what was stored up to this time (default: now; for a
            history that ended long ago, the end of that history).

    Returns:
        The ``training_summary`` of the Kedro run (per site, for every site).
    """
    return for_each_site(TRAINING, site, as_of, kedro_env, params, body=_train)


def _train(site: str, as_of: datetime | None, kedro_env: str | None,
           params: dict[str, Any] | None) -> dict[str, Any]:
    stamp, summary = run_guarded(TRAINING, site, as_of, kedro_env, params)
    link = link_mlflow_run(summary["mlflow_run_id"], return_state=True)
    publish_training_report(summary, link.result() if link.is_completed() else None)
    if summary.get("alias") == "champion":
        emit_model_promoted(site, stamp.isoformat(), int(summary["model_version"]),
                            str(summary["mlflow_run_id"]))
    return summary


if __name__ == "__main__":
    sys.exit(main(training_flow, TRAINING.serve_config(), description=__doc__))
