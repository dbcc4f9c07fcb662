"""The parameters every served flow takes besides ``as_of``, described once.

Their defaults carry the descriptions into each deployment's parameter schema (the
run form in the Prefect UI); Prefect resolves them to ``None`` when a run omits them.
"""

from typing import Any

from pydantic import Field

KEDRO_ENV: Any = Field(
    None, description="Kedro configuration environment (KEDRO_ENV when unset).")
PARAMS: Any = Field(
    None, description="Overrides of conf/base/parameters_*.yml, as `kedro run "
    '--params`, e.g. {"training": {"threads": 1}} or '
    '{"ingest": {"demo_farm": {"fault": {...}}}}.')
