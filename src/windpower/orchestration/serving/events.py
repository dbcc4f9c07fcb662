"""The platform's events (namespace ``windpower.``) and the triggers that act on them.

- ``windpower.model.degraded``: monitoring found evidence; training retrains.
- ``windpower.model.missing``: ingest stored readings but no champion exists yet
  (a fresh stack); training trains the first model.
- ``windpower.forecast.issued``: ingest stored a new weather forecast; inference
  scores it.
- ``windpower.model.promoted``: training made a new champion; inference re-scores
  the newest forecast with it.

Every event carries the ``as_of`` of the run that emitted it and the triggered run
gets it as its own ``as_of``, so a replay or a test driving simulated time gets
runs at that time, not at the wall clock's. Every event names its site (the
resource ``windpower.model.<site>`` or ``windpower.weather-forecast.<site>`` and
``payload.site``), and the triggered run is that site's only.

Cooldown: a Reactive Prefect trigger with ``threshold=1`` and ``within=W`` fires
on the first matching event, then opens its next bucket at the end of that
window, and events that arrive before the bucket starts are dropped
(``prefect/server/events/triggers.py``, ``evaluate``: "fire eagerly, then wait for
the rest of their time period"). So it retrains at most once per ``W``, however
often monitoring reports the same degradation; later reports are not queued.
``for_each`` on the resource id gives each site its own bucket: a cooldown per
site.
"""

from datetime import UTC, datetime, timedelta
from typing import Any

from prefect.events import DeploymentEventTrigger, emit_event

DEGRADED_EVENT = "windpower.model.degraded"
MISSING_EVENT = "windpower.model.missing"
FORECAST_EVENT = "windpower.forecast.issued"
PROMOTED_EVENT = "windpower.model.promoted"
# The triggered run's parameters: the emitting run's time and site.
AS_OF_FROM_EVENT = {"as_of": "{{ event.payload.as_of }}",
                    "site": "{{ event.payload.site }}"}
MODEL_RESOURCE_PREFIX = "windpower.model."
DEFAULT_COOLDOWN = timedelta(hours=12)


def model_resource(site: str) -> dict[str, str]:
    """The site's model as an event resource."""
    return {"prefect.resource.id": f"{MODEL_RESOURCE_PREFIX}{site}",
            "prefect.resource.name": f"windpower-{site}", "windpower.site": site}


def emit_degradation_event(site: str, report: dict, as_of: str | None = None
                           ) -> None:
    """Emit ``windpower.model.degraded`` (payload: the evidence) if degraded.

    Args:
        report: The monitoring pipeline's ``degradation_report``: ``degraded``,
            ``turbines``, ``reasons``, ``evidence``, ``champion_version``.
    """
    if not report.get("degraded"):
        return
    payload: dict[str, Any] = {
        "site": site, "as_of": as_of or datetime.now(UTC).isoformat(),
        "champion_version": report["champion_version"],
        "turbines": report["turbines"], "reasons": report["reasons"],
        "evidence": report["evidence"]}
    emit_event(event=DEGRADED_EVENT, resource=model_resource(site), payload=payload)


def emit_model_missing(site: str, as_of: str, newest_reading: str) -> None:
    """Ask for a site's first model: readings are stored, no champion exists."""
    emit_event(event=MISSING_EVENT, resource=model_resource(site),
               payload={"site": site, "as_of": as_of,
                        "newest_reading": newest_reading})


def emit_forecast_issued(site: str, as_of: str, issued: list[str]) -> None:
    """Tell that weather forecasts for ``site`` issued at ``issued`` were stored."""
    emit_event(event=FORECAST_EVENT,
               resource={"prefect.resource.id": f"windpower.weather-forecast.{site}",
                         "prefect.resource.name": f"weather forecast {site}",
                         "windpower.site": site},
               payload={"site": site, "as_of": as_of, "issued_at": issued})


def emit_model_promoted(site: str, as_of: str, version: int, run_id: str) -> None:
    """Tell that model ``version`` became the site's champion."""
    emit_event(event=PROMOTED_EVENT, resource=model_resource(site),
               payload={"site": site, "as_of": as_of, "version": version,
                        "mlflow_run_id": run_id})


def run_on_event(event: str, name: str) -> DeploymentEventTrigger:
    """A trigger: each ``event`` starts a run at the event's ``as_of``, for its
    site."""
    return DeploymentEventTrigger(name=name, expect={event},
                                  parameters=dict(AS_OF_FROM_EVENT))


def retrain_on_degradation(cooldown: timedelta = DEFAULT_COOLDOWN,
                           parameters: dict[str, Any] | None = None,
                           name: str = "retrain-on-degradation"
                           ) -> DeploymentEventTrigger:
    """The training deployment's trigger: a degradation event, at most once per
    ``cooldown`` (see the module docstring for why ``within`` is a cooldown).

    Args:
        cooldown: Minimum time between two retrainings caused by this event.
        parameters: Parameters of the triggered training run (None: the
            deployment's defaults).
        name: Name of the automation Prefect creates for the trigger.
    """
    return DeploymentEventTrigger(
        name=name, expect={DEGRADED_EVENT},
        match={"prefect.resource.id": f"{MODEL_RESOURCE_PREFIX}*"},
        for_each={"prefect.resource.id"},
        posture="Reactive", threshold=1, within=cooldown, parameters=parameters)
