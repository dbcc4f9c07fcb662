"""Ingest, training and inference against real servers: inputs and predictions in
Postgres, MLflow on Postgres, the flows on a real Prefect server. Nothing here is
mocked."""

import os
from pathlib import Path

import mlflow
import pandas as pd
import psycopg2
import pytest
from kedro.framework.session import KedroSession
from mlflow.exceptions import MlflowException
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId
from prefect.settings import PREFECT_API_URL, temporary_settings

import windpower.orchestration.kedro.session as orchestration_session
from tests.conftest import load_params
from tests.internals import track_to
from tests.project_copy import DATA, make_project
from windpower.contract import check_turbines
from windpower.contract.files import read_rows
from windpower.orchestration.kedro.session import load_parameters
from windpower.orchestration.serving.outcome import state_contract_error
from windpower.pipelines.data_processing.nodes import validate_readings
from windpower.store import migrate
from windpower.store.ingest import ingest_file

pytestmark = pytest.mark.integration
MODEL = "windpower-default"


def _count_predictions(db_url: str, farm: bool = False) -> int:
    """Stored predictions of the turbines (``farm``: of the farm total)."""
    with psycopg2.connect(db_url) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM predictions WHERE (turbine_id = '*') "
                       "= %s", (farm,))
        return cursor.fetchone()[0]


TABLES = ("readings", "weather_forecasts", "turbines", "predictions",
          "rejected_rows", "ingested_files")


def _reset(servers) -> None:
    """Forget the model and every stored row of earlier tests (servers are shared)."""
    client = mlflow.MlflowClient(servers.mlflow_url)
    try:
        client.delete_registered_model(MODEL)
    except MlflowException:
        pass  # nothing registered yet
    connection = psycopg2.connect(servers.windpower_db_url)
    try:
        migrate(connection)  # manages its own transactions
        with connection, connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {', '.join(TABLES)}")
    finally:
        connection.close()


def _ingest(db_url: str, *paths: str) -> None:
    connection = psycopg2.connect(db_url)
    try:
        for path in paths:
            result = ingest_file(connection, Path(path), pd.Timestamp(DATA["end"]),
                                 params=load_params("data_processing"))
            assert result.status == "ingested", result
    finally:
        connection.close()


@pytest.fixture
def project(servers, tmp_path, monkeypatch) -> Path:
    """The project on small data ingested into Postgres, wired to the test servers
    like the stack is."""
    _reset(servers)
    track_to(servers.mlflow_url, monkeypatch)
    monkeypatch.setenv("WINDPOWER_DB_URL", servers.windpower_db_url)
    root = make_project(tmp_path, monkeypatch, predictions_in_memory=False,
                        inputs_from_files=False)
    _ingest(servers.windpower_db_url, *(os.environ[v] for v in (
        "TURBINES_PATH", "SCADA_PATH", "FORECAST_PATH")))
    return root


def _run(root: Path, pipeline: str, params: dict | None = None) -> dict:
    with KedroSession.create(project_path=root, runtime_params=params) as session:
        datasets = session.run(pipeline_names=[pipeline])
    return {k: v.load() for k, v in datasets.items() if k.endswith("summary")}


def test_training_registers_champion_then_inference_upserts_predictions(
        project, servers):
    """One training serves both checks: the champion it registers, then two
    inference runs that store its predictions once."""
    summary = _run(project, "__default__")["training_summary"]

    client = mlflow.MlflowClient(servers.mlflow_url)
    champion = client.get_model_version_by_alias(MODEL, "champion")
    assert int(champion.version) == summary["model_version"] == 1
    run = client.get_run(champion.run_id)
    assert run.data.metrics["model_mae"] < run.data.metrics["baseline_mae"]
    plots = {a.path for a in client.list_artifacts(run.info.run_id, "plots")}
    assert {"plots/power_curve.png", "plots/reliability.png"} <= plots
    assert 0 < run.data.metrics["holdout_coverage_p10_p90"] <= 1
    model = mlflow.pyfunc.load_model(f"models:/{MODEL}@champion")
    assert model.metadata.signature is not None

    as_of = pd.Timestamp(DATA["end"])
    first = _run(project, "inference", {"as_of": as_of.isoformat()})[
        "inference_summary"]
    rows = _count_predictions(servers.windpower_db_url)
    assert rows == first["rows_scored"] > 0
    # Beside them, the farm total of each 10-minute step of the 48 h.
    assert _count_predictions(servers.windpower_db_url, farm=True) == 288

    # The same forecast again, an hour later: updated, not added.
    _run(project, "inference", {"as_of": (as_of + pd.Timedelta(hours=1)).isoformat()})
    assert _count_predictions(servers.windpower_db_url) == rows
    assert _count_predictions(servers.windpower_db_url, farm=True) == 288
    with psycopg2.connect(servers.windpower_db_url) as connection:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT DISTINCT model_version, mlflow_run_id, as_of FROM predictions"
            )
            # Each row records the as_of of the run that wrote it.
            assert cursor.fetchall() == [(1, first["mlflow_run_id"],
                                          as_of.to_pydatetime())]


# Three boosting rounds: beats the power curve, clearly not the full model (holdout
# MAE on this data: 88 kW vs 74 kW full, 122 kW curve).
# Nested, as runtime parameters merge (a dotted key would be a new, unused key).
WEAK = {"training": {"estimator": {"max_iter": 3}}}
CRIPPLED = {"training": {"estimator": {"max_iter": 1, "max_leaf_nodes": 2}}}


def test_champion_alias_moves_only_to_a_better_model(project, servers):
    weak = _run(project, "__default__", params=WEAK)["training_summary"]
    assert (weak["model_version"], weak["alias"]) == (1, "champion")

    better = _run(project, "training")["training_summary"]
    assert (better["model_version"], better["alias"]) == (2, "champion")
    client = mlflow.MlflowClient(servers.mlflow_url)
    assert client.get_model_version_by_alias(MODEL, "champion").version == "2"

    worse = _run(project, "training", params=CRIPPLED)["training_summary"]
    assert (worse["model_version"], worse["alias"]) == (3, "challenger")
    assert client.get_model_version_by_alias(MODEL, "champion").version == "2"
    assert client.get_model_version_by_alias(MODEL, "challenger").version == "3"


def test_flows_on_prefect_server_run_nodes_as_tasks(
    project, servers, monkeypatch
):
    from inference_flow import inference_flow  # noqa: PLC0415 (services/prefect)
    from training_flow import training_flow  # noqa: PLC0415

    monkeypatch.setattr(orchestration_session, "project_root", lambda: project)
    with temporary_settings({PREFECT_API_URL: servers.prefect_api_url}):
        training = training_flow(site="default", return_state=True)
        inference = inference_flow(site="default", return_state=True)
        assert training.is_completed() and inference.is_completed()
        with get_client(sync_client=True) as client:
            flow_run_ids = [training.state_details.flow_run_id,
                            inference.state_details.flow_run_id]
            tasks = client.read_task_runs(
                flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=flow_run_ids))
            )
            artifacts = client.read_artifacts(
                flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=flow_run_ids))
            )
    names = {task.name for task in tasks}
    assert {"train_model_node", "predict_power_node"} <= names, names
    assert len(artifacts) >= 2
    assert _count_predictions(servers.windpower_db_url) > 0
    _assert_farm_total_has_its_own_band(servers.windpower_db_url)


def _assert_farm_total_has_its_own_band(db_url: str) -> None:
    """The site's total (turbine '*') is the turbines' summed P50, with a band
    from the model's farm calibration, narrower than the summed turbine bands."""
    with psycopg2.connect(db_url) as connection, connection.cursor() as cursor:
        cursor.execute(
            "SELECT f.predicted_power_kw, sum(t.predicted_power_kw), "
            "f.p10_power_kw, f.p90_power_kw, sum(t.p10_power_kw), "
            "sum(t.p90_power_kw) FROM predictions f JOIN predictions t USING "
            "(site_id, issued_at, \"timestamp\", model_version) "
            "WHERE f.turbine_id = '*' AND t.turbine_id <> '*' "
            "GROUP BY f.issued_at, f.\"timestamp\", f.predicted_power_kw, "
            "f.p10_power_kw, f.p90_power_kw")
        rows = cursor.fetchall()
    assert rows, "no farm total stored"
    for p50, summed, p10, p90, summed_p10, summed_p90 in rows:
        assert p50 == pytest.approx(summed)
        assert p10 <= p50 <= p90
    width = sum(p90 - p10 for _, _, p10, p90, _, _ in rows)
    assert width < sum(hi - lo for *_, lo, hi in rows)


def _count(db_url: str, table: str) -> int:
    with psycopg2.connect(db_url) as connection, connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table}")
        return cursor.fetchone()[0]


def _inbox(project: Path) -> tuple[Path, int]:
    """An inbox with a good file, a partly bad one and a PNG named .csv."""
    scada = pd.read_csv(os.environ["SCADA_PATH"], dtype={"turbine_id": str})
    scada = scada.drop_duplicates(["timestamp", "turbine_id"]).dropna()
    stamps = pd.to_datetime(scada["timestamp"], utc=True)
    inbox = project / "inbox"
    inbox.mkdir()
    good = scada.assign(timestamp=stamps + pd.Timedelta(days=60))
    good.to_csv(inbox / "good.csv.gz", index=False)
    bad = scada.assign(timestamp=stamps + pd.Timedelta(days=120))
    bad.loc[bad.index[:7], "wind_speed"] = -5.0
    bad.loc[bad.index[7:10], "turbine_id"] = "T42"
    bad.to_parquet(inbox / "partly_bad.parquet", index=False)
    (inbox / "photo.csv").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    return inbox, len(scada)


def _ingested_files(db_url: str) -> dict[str, tuple]:
    with psycopg2.connect(db_url) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT name, status, rows_accepted, rows_rejected "
                       "FROM ingested_files")
        return {name: rest for name, *rest in cursor.fetchall()}


def test_ingest_flow_keeps_good_rows_refuses_bad_files_and_adds_nothing_twice(
    project, servers, monkeypatch
):
    import ingest_flow as module  # noqa: PLC0415 (services/prefect)

    # The flow imports project_root in the run, from the session module.
    monkeypatch.setattr(orchestration_session, "project_root", lambda: project)
    monkeypatch.setenv("DEMO_FARM_ENABLED", "false")
    inbox, rows = _inbox(project)
    before = {p.name: p.read_bytes() for p in inbox.iterdir()}
    db = servers.windpower_db_url
    readings, rejected = _count(db, "readings"), _count(db, "rejected_rows")
    with temporary_settings({PREFECT_API_URL: servers.prefect_api_url}):
        first = module.ingest_flow(return_state=True)
        second = module.ingest_flow()

    # The PNG fails the run, naming itself, after the other files were stored.
    assert first.is_failed()
    assert str(state_contract_error(first)).startswith(
        f"data contract broken in file '{inbox / 'photo.csv'}'")
    files = _ingested_files(db)
    assert files["photo.csv"][0] == "refused"
    good, partly_bad = files["good.csv.gz"], files["partly_bad.parquet"]
    dirt = good[2]  # the demo farm's own dirt (T99, out of range)
    assert good == ["ingested", rows - dirt, dirt]
    assert partly_bad == ["ingested", rows - dirt - 10, dirt + 10]
    assert _count(db, "readings") == readings + 2 * (rows - dirt) - 10
    assert _count(db, "rejected_rows") == rejected + 2 * dirt + 10
    # Everything was seen before: the second run skips it all and adds nothing.
    assert {f["status"] for f in second["files"]} == {"skipped"}
    assert _count(db, "readings") == readings + 2 * (rows - dirt) - 10
    assert {p.name: p.read_bytes() for p in inbox.iterdir()} == before


def test_ingest_flow_rules_rows_by_the_runs_parameters_as_training_does(
    project, servers, monkeypatch
):
    """A ``params`` override of the row rules means the same for ingest as for
    training: ingest applies the parameters Kedro loads for the run, not the
    rules file of conf/base."""
    import ingest_flow as module  # noqa: PLC0415 (services/prefect)

    monkeypatch.setattr(orchestration_session, "project_root", lambda: project)
    scada = pd.read_csv(os.environ["SCADA_PATH"], dtype={"turbine_id": str})
    scada = scada.drop_duplicates(["timestamp", "turbine_id"]).dropna()
    stamps = pd.to_datetime(scada["timestamp"], utc=True) + pd.Timedelta(days=60)
    (project / "inbox").mkdir()
    scada.assign(timestamp=stamps).to_csv(project / "inbox" / "a.csv", index=False)
    override = {"data_processing": {"ranges": {"wind_speed": [0.0, 5.0]}}}
    db = servers.windpower_db_url
    with temporary_settings({PREFECT_API_URL: servers.prefect_api_url}):
        module.ingest_flow(params=override)

    # What training's validation node rejects under the same override.
    rules = load_parameters(None, override, project)["data_processing"]
    turbines = check_turbines(read_rows(Path(os.environ["TURBINES_PATH"]),
                                        "turbines"))
    _, _, report = validate_readings(read_rows(project / "inbox" / "a.csv", "scada"),
                                     turbines, rules | {"as_of": None})
    windy = report["rejected"]["out_of_range_wind_speed"]
    assert 0 < windy < len(scada)
    with psycopg2.connect(db) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM rejected_rows WHERE source = 'a.csv' "
                       "AND rule = 'out_of_range_wind_speed'")
        assert cursor.fetchone()[0] == windy
