"""A seeded demo wind farm whose readings and weather forecasts are pure
functions of (seed, time), for the ingest flow to stream into Postgres."""

from windpower.demo_farm.farm import (
    DemoFarm,
    Fault,
    demo_farm_from_params,
    forecast_issue_times,
)

__all__ = ["DemoFarm", "Fault", "demo_farm_from_params", "forecast_issue_times"]
