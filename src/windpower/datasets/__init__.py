"""Custom Kedro datasets: contract files, MLflow logging/registry, the Postgres record."""

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
from windpower.datasets.store import (
    PredictionsDataset,
    ReadingsDataset,
    TurbinesDataset,
    WeatherForecastDataset,
)
from windpower.datasets.registry import RegisteredModelDataset

__all__ = [
    "ChampionModelDataset",
    "JSONDataset",
    "MlflowFigureDataset",
    "MlflowMetricsDataset",
    "PickleDataset",
    "PredictionsDataset",
    "ReadingsDataset",
    "RawInputDataset",
    "RegisteredModelDataset",
    "TableDataset",
    "TurbinesDataset",
    "WeatherForecastDataset",
]
