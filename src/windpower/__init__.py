"""windpower: wind-power forecasting with Kedro, MLflow and Prefect."""

__version__ = "0.1.0"
