"""Datasets that need no server: the catalog's plain files, MLflow (sqlite
store), retries."""

import math
from pathlib import Path

import matplotlib.pyplot as plt
import mlflow
import pandas as pd
import pytest
from kedro.config import OmegaConfigLoader
from kedro.io import DataCatalog, DatasetError

from tests.internals import track_to
from windpower.datasets import (
    ChampionModelDataset,
    MlflowFigureDataset,
    MlflowMetricsDataset,
    ReadingsDataset,
)
from windpower.datasets.mlflow_datasets import flatten_metrics
from windpower.datasets.sql import PostgresUpsertDataset
from windpower.settings import CONFIG_LOADER_ARGS

pytestmark = pytest.mark.unit
PROJECT = Path(__file__).resolve().parents[1]


def test_flatten_metrics_nested_numbers_only():
    flat = flatten_metrics({"a": 1, "b": {"c": 2.5, "d": "text"}, "e": True}, "p.")
    assert flat == {"p.a": 1.0, "p.b.c": 2.5}


def test_metrics_dataset_logs_to_active_run(mlflow_store):
    dataset = MlflowMetricsDataset(artifact_file="m.json")
    with mlflow.start_run() as run:
        dataset.save({"model_mae": 12.5, "ablation": {"full": {"mae_kw": 3.0}}})
    logged = mlflow.get_run(run.info.run_id).data.metrics
    assert logged == {"model_mae": 12.5, "ablation.full.mae_kw": 3.0}
    assert dataset.load()["model_mae"] == 12.5


def test_metrics_dataset_without_run_only_keeps_data(mlflow_store):
    dataset = MlflowMetricsDataset()
    dataset.save({"x": 1.0})
    assert dataset.load() == {"x": 1.0}
    assert mlflow.active_run() is None


def test_figure_dataset_logs_png(mlflow_store):
    fig, _ = plt.subplots()
    with mlflow.start_run() as run:
        MlflowFigureDataset("plots/x.png").save(fig)
    names = [a.path for a in mlflow.MlflowClient().list_artifacts(
        run.info.run_id, "plots")]
    assert names == ["plots/x.png"]


def test_champion_dataset_none_when_nothing_registered(mlflow_store):
    assert ChampionModelDataset("default").load() is None


def test_champion_dataset_server_error_is_not_none(monkeypatch):
    track_to("http://127.0.0.1:9", monkeypatch)
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "2")
    with pytest.raises(DatasetError):
        ChampionModelDataset("default").load()


def _project_catalog(tmp_path, *names: str) -> DataCatalog:
    """Entries of conf/base/catalog.yml, their files moved under ``tmp_path``."""
    config = OmegaConfigLoader(str(PROJECT / "conf"),
                               **CONFIG_LOADER_ARGS)["catalog"]
    entries = {name: config[name] | {"filepath": str(tmp_path / config[name]
                                                      ["filepath"])}
               for name in names}
    return DataCatalog.from_config(entries, save_version="2026-01-01T00.00.00.000Z")


def test_catalog_tables_reload_with_a_fresh_index(tmp_path):
    catalog = _project_catalog(tmp_path, "rejected_readings")
    frame = pd.DataFrame({"a": [1.0, math.pi, 2.0], "b": ["x", "y", "z"]})
    kept = frame[frame["a"] > 1.5]  # index 1, 2
    catalog.save("rejected_readings", kept)
    pd.testing.assert_frame_equal(catalog.load("rejected_readings"),
                                  kept.reset_index(drop=True))


def test_catalog_model_and_reports_round_trip(tmp_path):
    catalog = _project_catalog(tmp_path, "model_bundle", "champion_decision")
    catalog.save("model_bundle", {"k": [1, 2]})
    assert catalog.load("model_bundle") == {"k": [1, 2]}
    decision = {"alias": "champion", "champion_mae": float("nan")}
    catalog.save("champion_decision", decision)
    loaded = catalog.load("champion_decision")
    assert loaded["alias"] == "champion" and math.isnan(loaded["champion_mae"])
    # Versioned: each run's decision is kept next to the earlier ones.
    versions = list(
        (tmp_path / "data/08_reporting/default/champion_decision.json").iterdir())
    assert [v.name for v in versions] == ["2026-01-01T00.00.00.000Z"]


def test_store_dataset_needs_url(monkeypatch):
    monkeypatch.delenv("WINDPOWER_DB_URL", raising=False)
    with pytest.raises(DatasetError, match="set WINDPOWER_DB_URL"):
        ReadingsDataset(site="default").load()


def test_store_dataset_retries_then_fails_readably(monkeypatch):
    monkeypatch.setenv("WINDPOWER_DB_URL", "postgresql://u:p@127.0.0.1:9/db")
    dataset = PostgresUpsertDataset("predictions", ["issued_at"], retries=2,
                                    backoff_seconds=0.01)
    with pytest.raises(DatasetError, match="after 2 attempts"):
        dataset.save(pd.DataFrame({"issued_at": [pd.Timestamp("2026-01-01")]}))
