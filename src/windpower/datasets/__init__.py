"""Our own Kedro datasets, only where kedro-datasets has none: contract input
files, MLflow logging and registry, the Postgres predictions table."""

from windpower.datasets.files import RawInputDataset
from windpower.datasets.mlflow_datasets import (
    ChampionModelDataset,
    MlflowFigureDataset,
    MlflowMetricsDataset,
)
from windpower.datasets.postgres import PostgresPredictionsDataset
from windpower.datasets.registry import RegisteredModelDataset

__all__ = [
    "ChampionModelDataset",
    "MlflowFigureDataset",
    "MlflowMetricsDataset",
    "PostgresPredictionsDataset",
    "RawInputDataset",
    "RegisteredModelDataset",
]
