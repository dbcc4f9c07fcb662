"""Each flow declared once: what it runs, its one-run slot, its schedule, the
events that start it and its time-out.

The flow modules (``services/prefect/<kind>_flow.py``) take their name,
description, time-out, pipelines and slot from here; their served deployments
(``ServeConfig``) and the set-up's concurrency limits derive from here. The work-
pool deployments of ``prefect.yaml``, the flow services of ``docker-compose.yml``
and the schedule variables of ``.env.example`` are checked against it
(tests/orchestration/test_flow_specs.py). A schedule lives here and nowhere else;
``<KIND>_SCHEDULE_*`` in ``.env`` overrides it.
"""

from __future__ import annotations

from dataclasses import dataclass

from windpower.orchestration.serving.deployments import ServeConfig
from windpower.orchestration.serving.events import (
    DEGRADED_EVENT,
    FORECAST_EVENT,
    MISSING_EVENT,
    PROMOTED_EVENT,
)


@dataclass(frozen=True)
class FlowSpec:
    """One flow: ``kind`` names it (``training`` is ``training-flow``)."""

    kind: str
    description: str
    # The served deployment's description (what it is served for).
    served: str
    # Kedro pipelines run in one session, and the output the flow returns.
    pipelines: tuple[str, ...] = ()
    summary: str | None = None
    every_minutes: float | None = None
    cron: str | None = None
    events: tuple[str, ...] = ()
    timeout_minutes: int = 30
    run_on_start: bool = False
    # Served by a long-running container (`<kind>-flow` in docker-compose.yml).
    is_served: bool = True
    # Runs per site (a `site` parameter; none: every site, fanned out).
    per_site: bool = True

    @property
    def name(self) -> str:
        return f"{self.kind}-flow"

    def limit_for(self, site: str | None) -> str:
        """The global concurrency limit of one slot: one run at a time, per site
        (``None``: a flow that covers every site in one run)."""
        return f"windpower-{self.kind}" + (f"-{site}" if site else "")

    @property
    def entrypoint(self) -> str:
        return f"services/prefect/{self.kind}_flow.py:{self.kind}_flow"

    @property
    def timeout_seconds(self) -> int:
        return self.timeout_minutes * 60

    def serve_config(self) -> ServeConfig:
        """The served deployment's defaults (``<KIND>_*`` variables override)."""
        return ServeConfig(interval_minutes=self.every_minutes, cron=self.cron,
                           events=self.events, description=self.served,
                           run_on_start=self.run_on_start)


INGEST = FlowSpec(
    kind="ingest",
    description="Store new readings and weather forecasts in Postgres: inbox files "
    "through the data contract, and the demo farm up to as_of.",
    served="Every 10 minutes: inbox files and the demo farm into Postgres.",
    every_minutes=10, run_on_start=True, per_site=False)
TRAINING = FlowSpec(
    kind="training",
    description="Train on the readings of the training window before as_of, "
    "evaluate, register the model and promote it to champion when it beats the "
    "current one.",
    served="Daily training of the wind-power model, and on evidence.",
    pipelines=("data_processing", "training"), summary="training_summary",
    every_minutes=24 * 60, events=(MISSING_EVENT, DEGRADED_EVENT),
    timeout_minutes=2 * 60)
INFERENCE = FlowSpec(
    kind="inference",
    description="Score the newest weather forecast issued before as_of with the "
    "champion model and write P10/P50/P90 power predictions to Postgres.",
    served="Hourly scoring of the newest weather forecast, and on events.",
    pipelines=("inference",), summary="inference_summary",
    every_minutes=60, events=(FORECAST_EVENT, PROMOTED_EVENT), timeout_minutes=60)
MONITORING = FlowSpec(
    kind="monitoring",
    description="Measure the forecasts against the readings that came true, write "
    "forecast_quality, and emit windpower.model.degraded on evidence.",
    served="Hourly: forecast quality against actuals, degradation, drift.",
    pipelines=("monitoring",), summary="monitoring_summary", every_minutes=60)
MAINTENANCE = FlowSpec(
    kind="maintenance",
    description="Retention: old windpower rows, unaliased model versions and "
    "their runs, then mlflow gc.",
    served="Delete windpower rows, model versions and runs past their retention.",
    cron="15 3 * * *", is_served=False, per_site=False)

FLOWS = {spec.kind: spec for spec in (INGEST, TRAINING, INFERENCE, MONITORING,
                                      MAINTENANCE)}
# The flows that hold a one-run slot (the set-up creates their limits).
GUARDED = tuple(spec for spec in FLOWS.values() if spec.is_served)
