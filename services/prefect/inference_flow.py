"""Prefect flow ``inference-flow``: the Kedro ``inference`` pipeline (the champion
over the newest weather forecast, P10/P50/P90 predictions into Postgres), each node
a Prefect task, then an inference report artifact.

  python services/prefect/inference_flow.py run    # once, now; no server set: local
  python services/prefect/inference_flow.py serve  # the inference-flow container

``serve`` serves ``inference-flow/inference-flow`` hourly and on the events
``windpower.forecast.issued`` and ``windpower.model.promoted``; its runs execute
in the serving container. ``inference-flow/inference-pool`` (prefect.yaml) runs
on the worker, started by hand.
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
from windpower.orchestration.flows.specs import INFERENCE
from windpower.orchestration.flows.tasks import publish_inference_report
from windpower.orchestration.serving.cli import main


@flow(name=INFERENCE.name, description=INFERENCE.description,
      flow_run_name=site_run_name, timeout_seconds=INFERENCE.timeout_seconds)
def inference_flow(as_of: datetime | None = None, kedro_env: str | None = KEDRO_ENV,
                   params: dict[str, Any] | None = PARAMS,
                   site: str | None = SITE) -> dict[str, Any]:
    """Predict a site's power once (never two at a time per site) and publish the
    inference report; no site: every site.

    Args:
        as_of: Score the newest forecast issued up to this time (default: now).

    Returns:
        The ``inference_summary`` of the Kedro run (per site, for every site).
    """
    return for_each_site(INFERENCE, site, as_of, kedro_env, params, body=_predict)


def _predict(site: str, as_of: datetime | None, kedro_env: str | None,
             params: dict[str, Any] | None) -> dict[str, Any]:
    _, summary = run_guarded(INFERENCE, site, as_of, kedro_env, params)
    publish_inference_report(summary)
    return summary


if __name__ == "__main__":
    sys.exit(main(inference_flow, INFERENCE.serve_config(), description=__doc__))
