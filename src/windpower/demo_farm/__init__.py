"""The project's data simulator: a seeded demo wind farm whose readings and
weather forecasts are pure functions of (seed, time), for the ingest flow to
stream into Postgres and, as contract files (``DemoFarm.dataset``), for tests and
benchmarks.

The physics is simple but carries the effects a good model should find: a wind
regime with seasonal and diurnal cycles, synoptic persistence and a slow drift;
per-turbine terrain and direction-dependent wakes; turbulence that smooths the
power curve; air-density correction; inertia (power follows the wind with a
lag); slow per-turbine wear. Then the dirt real SCADA has: stoppages,
curtailment, icing, gaps, NaNs, duplicates, out-of-range values.
"""

from windpower.demo_farm.farm import (
    DemoFarm,
    DemoSite,
    Fault,
    demo_farm_from_params,
    demo_sites,
    forecast_issue_times,
)

__all__ = ["DemoFarm", "DemoSite", "Fault", "demo_farm_from_params", "demo_sites",
           "forecast_issue_times"]
