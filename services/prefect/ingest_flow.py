"""Prefect flow ``ingest-flow``: new inputs into Postgres, the record every other
flow reads. Contract files from the inbox (and ``SCADA_PATH`` / ``TURBINES_PATH`` /
``FORECAST_PATH`` for a one-off historic load), then, unless switched off, the demo
farm's readings and weather forecasts up to ``as_of``.

  python services/prefect/ingest_flow.py run    # once, now; no server needed
  python services/prefect/ingest_flow.py serve  # the ingest-flow container

``serve`` serves ``ingest-flow/ingest-flow`` every 10 minutes (and once at start);
its runs execute in the serving container. ``ingest-flow/ingest-pool``
(prefect.yaml) runs on the worker, started by hand.
"""

# No `from __future__ import annotations`: Prefect builds the parameter model from
# the annotations at run time, in a process where string annotations such as
# "datetime" do not resolve.
import os
import sys
from datetime import datetime
from typing import Any

from prefect import flow

from windpower.orchestration.flows.guard import run_exclusively
from windpower.orchestration.flows.parameters import KEDRO_ENV, PARAMS
from windpower.orchestration.flows.specs import INGEST
from windpower.orchestration.flows.tasks import publish_ingest_report
from windpower.orchestration.serving.cli import main


@flow(name=INGEST.name, description=INGEST.description,
      timeout_seconds=INGEST.timeout_seconds)
def ingest_flow(as_of: datetime | None = None, kedro_env: str | None = KEDRO_ENV,
                params: dict[str, Any] | None = PARAMS) -> dict[str, Any]:
    """Ingest once (never two at a time), report, and announce what is new.

    Args:
        as_of: Ingest what exists up to this time (default: now).

    Returns:
        The files ingested or skipped, and what the demo farm added.

    Raises:
        ContractError: a file was refused (after every other one was stored).
    """
    # Imported here: the serving process stays light (serving.cli.serve).
    from windpower.demo_farm import demo_sites  # noqa: PLC0415
    from windpower.orchestration.flows.demo import (  # noqa: PLC0415
        stream_demo_forecasts,
        stream_demo_readings,
    )
    from windpower.orchestration.flows.ingest import (  # noqa: PLC0415
        announce,
        announce_files,
        ingest_one_file,
        new_files,
        raise_first_refusal,
    )
    from windpower.orchestration.kedro.session import (  # noqa: PLC0415
        load_parameters,
        project_root,
        run_parameters,
    )

    stamp, runtime = run_parameters(as_of, params)
    # The row rules as Kedro loads them for this run: an environment or a
    # ``params`` override rules ingest as it rules training.
    parameters = load_parameters(kedro_env, runtime)
    conf, rules = parameters["ingest"], parameters["data_processing"]
    demo = conf["demo_farm"]
    use_demo = bool(demo["enabled"]) and not os.environ.get("SCADA_PATH")
    with run_exclusively(INGEST.limit_for(None)):
        inbox = project_root() / conf["inbox_dir"]
        files = [ingest_one_file(path, kind, site, stamp, rules)
                 for path, kind, site in new_files(inbox)]
        announce_files(files, stamp.isoformat())
        readings, forecasts = {}, {}
        # Each site is announced once stored: its training or inference starts
        # while the next site is ingested.
        for site in demo_sites(demo) if use_demo else []:
            readings[site.site_id] = stream_demo_readings(
                site, demo["history_days"], stamp, rules)
            forecasts[site.site_id] = stream_demo_forecasts(site, demo, stamp, rules)
            announce(site.site_id, stamp.isoformat(),
                     forecasts[site.site_id]["issued"])
    summary = {"as_of": stamp.isoformat(), "files": files,
               "demo_readings": readings, "demo_forecasts": forecasts}
    publish_ingest_report(summary)
    raise_first_refusal(files)
    return summary


if __name__ == "__main__":
    sys.exit(main(ingest_flow, INGEST.serve_config(), description=__doc__))
