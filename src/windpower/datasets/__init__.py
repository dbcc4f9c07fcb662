"""Custom Kedro datasets: contract files, MLflow, the Postgres record."""

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
from windpower.datasets.registry import RegisteredModelDataset
from windpower.datasets.store import (
    PredictionsDataset,
    ReadingsDataset,
    TurbinesDataset,
    WeatherForecastDataset,
)

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
