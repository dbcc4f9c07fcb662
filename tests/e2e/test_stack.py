"""End to end: the running compose stack, reached by service name.

Run with the stack up:
    docker compose up -d --wait
    docker compose run --rm trainer pytest -m e2e
Without it, every test here skips and says so; with WINDPOWER_E2E_REQUIRED=1 (CI,
.ci/run) every test fails instead, so a stack that did not come up cannot pass.
"""

import socket

import mlflow
import pytest
from kedro.framework.project import configure_project
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    DeploymentFilter,
    DeploymentFilterId,
    FlowRunFilter,
    FlowRunFilterId,
    FlowRunFilterParentFlowRunId,
    FlowRunFilterState,
    FlowRunFilterStateType,
)
from prefect.client.schemas.objects import StateType
from prefect.client.schemas.sorting import FlowRunSort

from tests.e2e.stack import (
    FLOWS,
    MLFLOW_URL,
    PREFECT_API_URL,
    artifacts,
    query,
    require_stack,
    run,
    wait_for_first_forecasts,
)
from windpower.pipeline_registry import register_pipelines

pytestmark = pytest.mark.e2e

SERVED = tuple(f"{flow}/{flow}" for flow in FLOWS)
# The demo's two farms (DEMO_SITES=2, the default); runs below are for the first.
SITES = ("demo-north", "demo-south")
SITE = SITES[0]
MODEL = f"windpower-{SITE}"
POOL_NAMES = {"ingest-flow": "ingest-pool", "training-flow": "training-pool",
              "inference-flow": "inference-pool", "monitoring-flow": "monitoring-pool"}


@pytest.fixture(scope="module", autouse=True)
def stack() -> None:
    """Every test here needs the running stack."""
    require_stack(PREFECT_API_URL)


def _node_names(*pipelines: str) -> set[str]:
    configure_project("windpower")
    registry = register_pipelines()
    return {node.name for name in pipelines for node in registry[name].nodes}


def _task_names(flow_run_id) -> set[str]:
    with get_client(sync_client=True) as client:
        runs = client.read_task_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id]))
        )
    return {run.name for run in runs}


def _covers(task_names: set[str], node_names: set[str]) -> bool:
    return all(any(t.startswith(n) for t in task_names) for n in node_names)


def test_stack_lists_the_eight_deployments_and_an_online_worker():
    with get_client(sync_client=True) as client:
        deployments = {
            f"{client.read_flow(d.flow_id).name}/{d.name}": d
            for d in client.read_deployments()
        }
        workers = client.read_workers_for_work_pool("default-worker-pool")
    pooled = [f"{flow}/{pool}" for flow, pool in POOL_NAMES.items()]
    assert set(SERVED) | set(pooled) <= set(deployments)
    for name in SERVED:  # served deployments run in their own container
        assert deployments[name].work_pool_name is None
    for name in pooled:
        assert deployments[name].work_pool_name == "default-worker-pool"
    assert any(worker.status == "ONLINE" for worker in workers)


def test_mlflow_answers_by_service_name():
    client = mlflow.MlflowClient(tracking_uri=MLFLOW_URL)
    names = {e.name for e in client.search_experiments()}
    assert "Default" in names


def _newest_served_training(site: str):
    """The newest completed run of the served training deployment for ``site``: on
    a fresh stack the one the ``windpower.model.missing`` event started."""
    with get_client(sync_client=True) as client:
        deployment = client.read_deployment_by_name("training-flow/training-flow")
        runs = client.read_flow_runs(
            deployment_filter=DeploymentFilter(
                id=DeploymentFilterId(any_=[deployment.id])),
            flow_run_filter=FlowRunFilter(state=FlowRunFilterState(
                type=FlowRunFilterStateType(any_=[StateType.COMPLETED]))),
            sort=FlowRunSort.START_TIME_DESC, limit=50)
    ours = [r for r in runs if r.parameters.get("site") == site]
    assert ours, f"no completed served training of {site}"
    return ours[0]


def test_served_training_registered_a_version_with_node_tasks_and_artifacts():
    # The stack's own training (its first on a fresh stack), not one started here:
    # a served run as the stack runs them, and no extra training in CI.
    wait_for_first_forecasts()
    flow_run = _newest_served_training(SITE)
    assert _covers(_task_names(flow_run.id), _node_names("data_processing", "training"))
    reports = [a.data for a in artifacts(flow_run.id) if a.key == "training-report"]
    assert reports, "training run published no report"
    # The version this run registered: the one whose MLflow run its report links.
    client = mlflow.MlflowClient(tracking_uri=MLFLOW_URL)
    ours = [v for v in client.search_model_versions(f"name = '{MODEL}'")
            if f"MLflow run {v.run_id}" in reports[0]
            or f"MLflow run `{v.run_id}`" in reports[0]]
    assert len(ours) == 1, "no model version from this run's MLflow run"
    assert client.get_run(ours[0].run_id).data.tags["windpower.site"] == SITE
    assert client.get_model_version_by_alias(MODEL, "champion")


def _batch_rows(as_of: str) -> dict[int, int]:
    """Rows per model version of the forecast issue newest at ``as_of``."""
    return dict(query(
        "SELECT model_version, count(*) FROM predictions WHERE site_id = %s AND "
        "issued_at = (SELECT max(issued_at) FROM weather_forecasts WHERE "
        "site_id = %s AND issued_at <= %s) GROUP BY 1", (SITE, SITE, as_of)))


def test_served_inference_writes_predictions_once():
    # Both runs score the same batch: the forecast newest at one fixed time. (The
    # stack goes on meanwhile: a forecast issued between the runs, and the
    # inference it triggers, add rows of another batch.)
    (as_of,), = query("SELECT now()")
    flow_run = run("inference-flow/inference-flow", as_of=as_of.isoformat(),
                   site=SITE)
    assert _covers(_task_names(flow_run.id), _node_names("inference"))
    assert artifacts(flow_run.id), "inference run published no artifact"
    before = _batch_rows(as_of)
    assert before and all(before.values())
    run("inference-flow/inference-flow", as_of=as_of.isoformat(), site=SITE)
    after = _batch_rows(as_of)
    # A champion promoted meanwhile would add its own batch: compare versions seen.
    assert {v: after.get(v) for v in before} == before, (
        "re-running the same batch added rows")




def test_stack_holds_a_year_of_readings_and_forecasts_from_the_newest_issue():
    """Both demo sites, each on its own: a year of readings per turbine, and
    forecasts of every turbine from the site's newest weather forecast."""
    assert [site for (site,) in query("SELECT site_id FROM sites ORDER BY 1")
            if site.startswith("demo-")] == sorted(SITES)
    for site in SITES:
        _assert_site_holds_a_year_and_its_forecast(site)


def _assert_site_holds_a_year_and_its_forecast(site: str) -> None:
    spans = query("SELECT turbine_id, max(timestamp) - min(timestamp) "
                  "FROM readings WHERE site_id = %s GROUP BY 1", (site,))
    turbines = {t for (t,) in query(
        "SELECT turbine_id FROM turbines WHERE site_id = %s", (site,))}
    assert {t for t, _ in spans} == turbines and turbines, site
    assert all(span.days >= 364 for _, span in spans), (site, spans)
    ((newest_issue, scored_issue),) = query(
        "SELECT (SELECT max(issued_at) FROM weather_forecasts WHERE site_id = %s "
        "AND issued_at <= now()), (SELECT max(issued_at) FROM predictions "
        "WHERE site_id = %s)", (site, site))
    # Scored from the newest forecast (or the one before, if one is being issued).
    assert (newest_issue - scored_issue).total_seconds() <= 6 * 3600, site
    # One batch per model version: a champion promoted meanwhile (the pool tests
    # train) scores the same issue again, next to the older version's batch.
    ((rows, low, high, ordered),) = query(
        "SELECT count(*), min(horizon_minutes), max(horizon_minutes), "
        "bool_and(p10_power_kw <= predicted_power_kw AND predicted_power_kw <= "
        "p90_power_kw) FROM predictions WHERE site_id = %s AND issued_at = %s "
        "AND turbine_id <> '*' AND model_version = (SELECT max(model_version) "
        "FROM predictions WHERE site_id = %s AND issued_at = %s)",
        (site, scored_issue, site, scored_issue))
    assert rows == 288 * len(turbines) and (low, high) == (10, 2880), site
    assert ordered, site


def test_a_run_without_a_site_starts_one_run_per_site():
    parent = run("monitoring-flow/monitoring-flow")
    with get_client(sync_client=True) as client:
        children = client.read_flow_runs(flow_run_filter=FlowRunFilter(
            parent_flow_run_id=FlowRunFilterParentFlowRunId(any_=[parent.id])))
    assert sorted(child.parameters["site"] for child in children) == sorted(SITES)
    assert all(f"site:{child.parameters['site']}" in child.tags
               for child in children)


def test_ingest_again_at_the_same_time_adds_no_rows():
    (newest,), = query("SELECT max(timestamp) FROM readings")
    # Up to that time only: the scheduled ingest may add newer readings meanwhile.
    stored = ("SELECT count(*), max(ingested_at) FROM readings "
              f"WHERE timestamp <= '{newest.isoformat()}'")
    before = query(stored)
    flow_run = run("ingest-flow/ingest-flow", as_of=newest.isoformat())
    assert artifacts(flow_run.id), "ingest run published no report"
    assert query(stored) == before


def test_monitoring_measures_forecasts_against_actuals():
    flow_run = run("monitoring-flow/monitoring-flow", site=SITE)
    assert _covers(_task_names(flow_run.id), _node_names("monitoring"))
    reports = [a.data for a in artifacts(flow_run.id) if a.key == "monitoring-report"]
    assert reports and "verdict" in reports[0]
    client = mlflow.MlflowClient(tracking_uri=MLFLOW_URL)
    experiment = client.get_experiment_by_name("windpower-monitoring")
    runs = client.search_runs([experiment.experiment_id], max_results=1)
    assert "windpower.champion_version" in runs[0].data.tags


def _stack_containers() -> dict:
    """The running stack's containers by compose service."""
    import docker  # noqa: PLC0415 (only these tests need the Docker API)

    engine = docker.from_env()
    # This test's own container (the trainer) says which compose project is ours.
    project = engine.containers.get(socket.gethostname()).labels[
        "com.docker.compose.project"]
    containers = engine.containers.list(
        filters={"label": f"com.docker.compose.project={project}"})
    return {c.labels["com.docker.compose.service"]: c for c in containers}


def test_flow_containers_mount_no_data_volume():
    """Flows read from Postgres and MLflow only: no container shares a data volume,
    so a run behaves the same on any host (the served runs above ran there)."""
    services = _stack_containers()
    for name in (*FLOWS, "worker"):
        mounts = [m["Destination"] for m in services[name].attrs["Mounts"]]
        assert not any(m.startswith("/app/data") for m in mounts), (name, mounts)


def test_mlflow_server_is_one_process():
    """MLflow's web server runs in place of its CLI: no idle parent beside it
    holding ~180 MiB (windpower.orchestration.mlflow_server)."""
    top = _stack_containers()["mlflow"].top(ps_args="-eo pid,args")
    pythons = [p[-1] for p in top["Processes"] if "python" in p[-1]]
    assert len(pythons) == 1 and "uvicorn" in pythons[0], pythons
