"""Each pipeline end to end through a real KedroSession, on a copy of the project.

A temporary sqlite MLflow store, and the Postgres predictions dataset swapped for a
MemoryDataset (Postgres is covered by the integration tests).
"""

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import mlflow
import pytest
from kedro.framework.session import KedroSession

from tests.conftest import use_mlflow_store
from tests.project_copy import DATA, demo_frames, make_project
from windpower.errors import NoChampionError
from windpower.model_inputs import model_input

pytestmark = pytest.mark.unit
PROJECT = Path(__file__).resolve().parents[2]


@pytest.fixture
def project(tmp_path, monkeypatch, mlflow_store) -> Path:
    return make_project(tmp_path, monkeypatch, predictions_in_memory=True)


@dataclass(frozen=True)
class Trained:
    """A project copy trained once for the module: the tests only read its
    champion, or add versions after it (never a new champion)."""

    root: Path
    tracking_uri: str
    refused_before: NoChampionError  # inference before any training
    outputs: dict
    session_id: str


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> Iterator[Trained]:
    """Inference on the fresh project (refused), then the default pipeline once; the
    tracking URI stays set for this module."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        tmp_path = tmp_path_factory.mktemp("trained")
        uri = use_mlflow_store(tmp_path, monkeypatch)
        root = make_project(tmp_path, monkeypatch, predictions_in_memory=True)
        with pytest.raises(NoChampionError) as refused:
            _run(root, "inference")
        outputs, session_id = _run(root, "__default__")
        yield Trained(root, uri, refused.value, outputs, session_id)


def _run(root: Path, pipeline: str) -> tuple[dict, str]:
    """Run like the orchestrator does; Kedro 1.x returns datasets, so load them."""
    with KedroSession.create(project_path=root) as session:
        result = session.run(pipeline_names=[pipeline])
        summaries = {k: v.load() for k, v in result.items() if k.endswith("summary")}
        return summaries, session.session_id


def test_pipelines_train_register_and_predict(trained):
    assert "no champion model registered yet" in str(trained.refused_before)

    project, outputs, session_id = trained.root, trained.outputs, trained.session_id
    summary = outputs["training_summary"]
    assert summary["alias"] == "champion" and summary["model_version"] == 1
    assert summary["model"]["mae"] < summary["baseline"]["mae"]
    run = mlflow.get_run(summary["mlflow_run_id"])
    assert run.info.status == "FINISHED"
    assert run.data.tags["kedro_session_id"] == session_id
    assert run.data.tags["windpower.alias"] == "champion"
    assert {"model_mae", "baseline_mae", "skill_mae", "rows_rejected",
            "holdout_coverage_p10_p90", "holdout_interval_width_kw"} <= set(
        run.data.metrics)
    plots = {a.path for a in mlflow.MlflowClient().list_artifacts(run.info.run_id,
                                                                   "plots")}
    assert "plots/reliability.png" in plots
    # Intermediate files are kept per site: two sites never share one.
    assert (project / "data/02_intermediate/default/rejected_readings.parquet"
            ).exists()

    outputs, _ = _run(project, "inference")
    result = outputs["inference_summary"]
    assert result["model_version"] == 1 and result["rows_scored"] == 48 * 6 * 3
    assert result["mlflow_run_id"] == summary["mlflow_run_id"]

    outputs, _ = _run(project, "training")  # same data: not better, so challenger
    again = outputs["training_summary"]
    assert again["model_version"] == 2 and again["alias"] == "challenger"
    client = mlflow.MlflowClient()
    champion = client.get_model_version_by_alias("windpower-default", "champion")
    assert int(champion.version) == 1


def test_registered_model_is_self_contained(trained):
    model = mlflow.pyfunc.load_model("models:/windpower-default@champion")
    archive = demo_frames(**DATA)["forecast"]
    forecast = archive.loc[archive["issued_at"] == archive["issued_at"].max()]
    out = model.predict(model_input(forecast))
    assert list(out.columns) == ["predicted_power_kw", "p10_power_kw", "p90_power_kw"]
    assert len(out) == len(forecast)
    assert (out["predicted_power_kw"] >= 0).all()
    assert (out["predicted_power_kw"] <= 3000).all()
    meta = model.metadata
    assert meta.signature is not None
    local = Path(mlflow.artifacts.download_artifacts(
        "models:/windpower-default@champion"))
    assert "windpower" not in (local / "requirements.txt").read_text()
    code = [p.name for p in local.rglob("*.py")]
    assert code == ["forecast_model.py"], "only the standalone model file is logged"
    # No input schema: MLflow would check timestamps value by value (registry.py).
    assert meta.signature.inputs is None
    assert meta.signature.outputs.input_names() == list(out.columns)


def test_registered_model_loads_without_windpower(trained):
    script = (
        "import sys; sys.modules['windpower'] = None\n"
        "import mlflow, pandas as pd\n"
        "m = mlflow.pyfunc.load_model('models:/windpower-default@champion')\n"
        "df = pd.DataFrame({'timestamp': pd.date_range('2026-01-01', periods=6,"
        " freq='10min'), 'turbine_id': 'T01', 'wind_speed': 9.0,"
        " 'wind_direction': 200.0, 'ambient_temperature': 3.0})\n"
        "print(m.predict(df)['predicted_power_kw'].round(1).tolist())\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True,
                          text=True, timeout=120, env=os.environ | {
                              "MLFLOW_TRACKING_URI": trained.tracking_uri},
                          check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().startswith("[")


def test_training_failure_ends_run_failed(project, monkeypatch):
    monkeypatch.setenv("SCADA_PATH", str(project / "missing.csv"))
    from windpower.errors import ContractError  # noqa: PLC0415

    with pytest.raises(ContractError, match="missing.csv"):
        _run(project, "__default__")
    runs = mlflow.search_runs(experiment_names=["windpower-training"])
    assert runs["status"].tolist() == ["FAILED"]
