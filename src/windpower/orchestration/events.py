"""The closed loop's event: monitoring says the model degraded, training listens.

``emit_degradation_event`` is called by the monitoring flow with the pipeline's
``degradation_report``; ``retrain_on_degradation`` is the trigger the training
deployment is served with.

Cooldown: a Reactive Prefect trigger with ``threshold=1`` and ``within=W`` fires
on the first matching event, then opens its next bucket at the end of that
window, and events that arrive before the bucket starts are dropped
(``prefect/server/events/triggers.py``, ``evaluate``: "fire eagerly, then wait for
the rest of their time period"). So it retrains at most once per ``W``, however
often monitoring reports the same degradation; later reports are not queued.
"""

from datetime import timedelta
from typing import Any

from prefect.events import DeploymentEventTrigger, emit_event

DEGRADED_EVENT = "windpower.model.degraded"
MODEL_RESOURCE = {"prefect.resource.id": "windpower.model.windpower",
                  "prefect.resource.name": "windpower"}
DEFAULT_COOLDOWN = timedelta(hours=12)


def emit_degradation_event(report: dict) -> None:
    """Emit ``windpower.model.degraded`` (payload: the evidence) if degraded.

    Args:
        report: The monitoring pipeline's ``degradation_report``: ``degraded``,
            ``turbines``, ``reasons``, ``evidence``, ``champion_version``.
    """
    if not report.get("degraded"):
        return
    payload: dict[str, Any] = {
        "champion_version": report["champion_version"],
        "turbines": report["turbines"], "reasons": report["reasons"],
        "evidence": report["evidence"]}
    emit_event(event=DEGRADED_EVENT, resource=dict(MODEL_RESOURCE), payload=payload)


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
        match={"prefect.resource.id": MODEL_RESOURCE["prefect.resource.id"]},
        posture="Reactive", threshold=1, within=cooldown, parameters=parameters)
