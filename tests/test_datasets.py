"""Custom datasets that need no server: files, MLflow (sqlite store), retries."""

import math

import matplotlib.pyplot as plt
import mlflow
import pandas as pd
import pytest
from kedro.io import DatasetError

from windpower.datasets import (
    ChampionModelDataset,
    JSONDataset,
    MlflowFigureDataset,
    MlflowMetricsDataset,
    PickleDataset,
    PredictionsDataset,
    ReadingsDataset,
    TableDataset,
)
from windpower.datasets.mlflow_datasets import flatten_metrics

pytestmark = pytest.mark.unit


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
    assert ChampionModelDataset("windpower").load() is None


def test_champion_dataset_server_error_is_not_none(monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:9")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "2")
    with pytest.raises(DatasetError):
        ChampionModelDataset("windpower").load()


def test_file_datasets_round_trip(tmp_path):
    frame = pd.DataFrame({"a": [1.0, math.pi], "b": ["x", "y"]})
    table = TableDataset(str(tmp_path / "t" / "table.parquet"))
    table.save(frame)
    pd.testing.assert_frame_equal(table.load(), frame)
    pickled = PickleDataset(str(tmp_path / "m.pkl"))
    pickled.save({"k": [1, 2]})
    assert pickled.load() == {"k": [1, 2]}
    document = JSONDataset(str(tmp_path / "r.json"))
    document.save({"n": 1})
    assert document.load() == {"n": 1}


def test_store_dataset_needs_url(monkeypatch):
    monkeypatch.delenv("WINDPOWER_DB_URL", raising=False)
    with pytest.raises(DatasetError, match="set WINDPOWER_DB_URL"):
        ReadingsDataset().load()


def test_store_dataset_retries_then_fails_readably(monkeypatch):
    monkeypatch.setenv("WINDPOWER_DB_URL", "postgresql://u:p@127.0.0.1:9/db")
    dataset = PredictionsDataset(retries=2, backoff=0.01)
    with pytest.raises(DatasetError, match="after 2 attempts"):
        dataset.save(pd.DataFrame({"issued_at": [pd.Timestamp("2026-01-01")]}))
