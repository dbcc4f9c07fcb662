"""The parameters every served flow takes besides ``as_of``, described once, and
the name of its runs.

Their defaults carry the descriptions into each deployment's parameter schema (the
run form in the Prefect UI); Prefect resolves them to ``None`` when a run omits them.
"""

from typing import Any

from prefect.runtime import flow_run
from pydantic import Field

SITE: Any = Field(
    None, description="The site (wind farm) to run for; empty: every site, one "
    "run each.")

KEDRO_ENV: Any = Field(
    None, description="Kedro configuration environment (KEDRO_ENV when unset).")
PARAMS: Any = Field(
    None, description="Overrides of conf/base/parameters_*.yml, as `kedro run "
    '--params`, e.g. {"training": {"threads": 1}} or '
    '{"ingest": {"demo_farm": {"fault": {...}}}}.')


def site_run_name() -> str:
    """A run's name in the UI: its site (``every-site`` when it fans out) and its
    scheduled start."""
    site = (flow_run.parameters or {}).get("site") or "every-site"
    start = flow_run.scheduled_start_time
    return f"{site}-{start:%Y%m%d-%H%M}" if start else site
