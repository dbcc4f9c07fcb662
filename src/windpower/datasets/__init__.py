"""Our own Kedro datasets, only where kedro-datasets has none: contract input
files, MLflow logging and registry, the Postgres record."""

from windpower.datasets.files import RawInputDataset
from windpower.datasets.mlflow_datasets import (
    ChampionModelDataset,
    MlflowFigureDataset,
    MlflowJsonDataset,
    MlflowMetricsDataset,
)
from windpower.datasets.registry import RegisteredModelDataset
from windpower.datasets.store import (
    ReadingsBeforeDataset,
    ReadingsDataset,
    TurbinesDataset,
    WeatherForecastArchiveDataset,
    WeatherForecastDataset,
)

__all__ = [
    "ChampionModelDataset",
    "MlflowFigureDataset",
    "MlflowJsonDataset",
    "MlflowMetricsDataset",
    "RawInputDataset",
    "ReadingsBeforeDataset",
    "ReadingsDataset",
    "RegisteredModelDataset",
    "TurbinesDataset",
    "WeatherForecastArchiveDataset",
    "WeatherForecastDataset",
]
