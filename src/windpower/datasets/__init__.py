"""Custom Kedro datasets: contract files, MLflow logging/registry, Postgres."""

from windpower.datasets.files import (
    JSONDataset,
    PickleDataset,
    RawInputDataset,
    TableDataset,
)
from windpower.datasets.mlflow_datasets import (
    ChampionModelDataset,
    MlflowFigureDataset,
    MlflowMetricsDataset,
)
from windpower.datasets.postgres import PostgresPredictionsDataset
from windpower.datasets.registry import RegisteredModelDataset

__all__ = [
    "ChampionModelDataset",
    "JSONDataset",
    "MlflowFigureDataset",
    "MlflowMetricsDataset",
    "PickleDataset",
    "PostgresPredictionsDataset",
    "RawInputDataset",
    "RegisteredModelDataset",
    "TableDataset",
]
