"""Each flow is declared once (orchestration/flows/specs.py): its flow object, its
prefect.yaml deployments, its compose service and its schedule variables are
checked against the declaration, so a second place cannot drift from it."""

from __future__ import annotations

import importlib
from datetime import timedelta
from pathlib import Path

import pytest
import yaml

from windpower.orchestration.flows.guard import FLOW_LIMITS
from windpower.orchestration.flows.specs import FLOWS, GUARDED
from windpower.orchestration.serving.events import DEGRADED_EVENT

pytestmark = pytest.mark.unit
ROOT = Path(__file__).resolve().parents[2]
SERVED = [spec for spec in FLOWS.values() if spec.is_served]


def _deployments() -> list[dict]:
    return yaml.safe_load((ROOT / "prefect.yaml").read_text())["deployments"]


@pytest.mark.parametrize("spec", FLOWS.values(), ids=FLOWS)
def test_flow_object_is_its_declaration(spec) -> None:
    module = importlib.import_module(f"{spec.kind}_flow")
    flow = getattr(module, f"{spec.kind}_flow")
    assert (flow.name, flow.description, flow.timeout_seconds) == (
        spec.name, spec.description, spec.timeout_seconds)


def test_pool_deployments_run_declared_flows_without_schedules_of_their_own() -> None:
    by_entrypoint = {spec.entrypoint: spec for spec in FLOWS.values()}
    for deployment in _deployments():
        spec = by_entrypoint[deployment["entrypoint"]]
        assert deployment["tags"] == ["windpower", spec.kind], deployment["name"]
        assert deployment["work_pool"]["work_queue_name"] == f"{spec.kind}-queue"
        schedules = [s["cron"] for s in deployment.get("schedules", [])]
        # A served flow's schedule is its served deployment's; only an unserved
        # flow's pool deployment carries the declared schedule.
        assert schedules == ([] if spec.is_served else [spec.cron]), deployment
    names = {d["name"] for d in _deployments()}
    assert {f"{spec.kind}-pool" for spec in SERVED} <= names


@pytest.mark.parametrize("spec", SERVED, ids=[s.kind for s in SERVED])
def test_compose_serves_each_declared_flow_with_its_schedule_overrides(spec) -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    service = compose["services"][spec.name]
    assert service["command"] == ["python", f"services/prefect/{spec.kind}_flow.py",
                                  "serve"]
    prefix = spec.kind.upper()
    example = (ROOT / ".env.example").read_text().splitlines()
    for variable in (f"{prefix}_SCHEDULE_INTERVAL_MINUTES", f"{prefix}_SCHEDULE_CRON"):
        assert variable in service["environment"], variable
        assert f"{variable}=" in example, variable


@pytest.mark.parametrize(("service", "variable"), [
    ("worker", "WORKER_RUN_LIMIT"), ("docker-worker", "DOCKER_WORKER_RUN_LIMIT")])
def test_each_pool_worker_executes_at_most_its_run_limit_at_once(service, variable
                                                                 ) -> None:
    # Without --limit, one worker would start every site's run of a fan-out at once.
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    command = compose["services"][service]["command"]
    assert command[command.index("--limit") + 1] == f"${{{variable}:-2}}"
    assert f"{variable}=2" in (ROOT / ".env.example").read_text().splitlines()


def test_guard_limits_are_the_declared_flows_slots_per_site() -> None:
    # Ingest covers every site in one run: one slot, created by the set-up.
    assert FLOW_LIMITS == ("windpower-ingest",)
    # The others hold one slot per flow and site, created on first use.
    per_site = [spec for spec in GUARDED if spec.per_site]
    assert {spec.kind for spec in per_site} == {"training", "inference", "monitoring"}
    slots = {spec.limit_for(site) for spec in per_site for site in ("a", "b")}
    assert len(slots) == 2 * len(per_site)


def test_training_retrains_on_degradation_at_most_once_per_12_hours() -> None:
    """The promise of .env.example (TRAINING_RETRAIN_COOLDOWN_HOURS, default 12),
    read where it is wired: the served training deployment's trigger."""
    triggers = {t.name: t for t in FLOWS["training"].serve_config().triggers()}
    degraded = [t for t in triggers.values() if DEGRADED_EVENT in t.expect]
    assert [t.within for t in degraded] == [timedelta(hours=12)]
    assert (degraded[0].posture, degraded[0].threshold) == ("Reactive", 1)
