"""The demo farm: readings and weather forecasts as pure functions of (seed, time)."""

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from windpower.demo_farm import streams as st
from windpower.demo_farm.dirt import long_frame, soil
from windpower.demo_farm.forecast import forecasts
from windpower.demo_farm.operation import apply_fault, clean_power, operate
from windpower.demo_farm.physics import STEPS_PER_DAY
from windpower.demo_farm.weather import make_site, simulate_weather

BLOCK_DAYS = 31  # days simulated at once: bounds memory, not results
READING_COLUMNS = ["timestamp", "turbine_id", "wind_speed", "wind_direction",
                   "ambient_temperature", "power_kw", "pitch_angle"]


@dataclass(frozen=True)
class Fault:
    """One turbine loses ``loss`` of its output above ``above_wind_speed`` (its
    true hub wind) from ``start`` on: a blade or pitch fault a monitoring flow
    should notice. Nothing else changes, apart from ``T99`` rows that copy it."""

    turbine_id: str
    start: pd.Timestamp
    loss: float = 0.15
    above_wind_speed: float = 8.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "start", st.to_utc(self.start))
        if not 0.0 <= self.loss <= 1.0:
            raise ValueError(f"fault loss must be in [0, 1], got {self.loss}")


@dataclass(frozen=True)
class DemoFarm:
    """A seeded wind farm whose every reading and forecast is a pure function of
    (seed, time): any window, in any chunking, gives the same rows."""

    seed: int = 42
    n_turbines: int = 6
    fault: Fault | None = field(default=None)

    def __post_init__(self) -> None:
        if self.n_turbines < 1:
            raise ValueError(f"a farm needs turbines, got n_turbines={self.n_turbines}")
        ids = set(self.turbines()["turbine_id"])
        if self.fault is not None and self.fault.turbine_id not in ids:
            raise ValueError(
                f"fault turbine {self.fault.turbine_id!r} is not in the farm")

    def turbines(self) -> pd.DataFrame:
        """Turbine table with the contract's columns."""
        return make_site(self.seed, self.n_turbines)[0].copy()

    def readings(self, start, end) -> pd.DataFrame:
        """Dirty SCADA rows stamped every 10 min in [start, end), UTC.

        Args:
            start: First time (inclusive); naive times are taken as UTC.
            end: Last time (exclusive).

        Returns:
            Contract SCADA columns plus ``pitch_angle``, sorted by timestamp
            and turbine id. Dirt included: gaps, NaNs, out-of-range values,
            exact duplicates and ``T99`` rows (copies of a real turbine's row).
        """
        first, stop = st.step_of(start, ceil=True), st.step_of(end, ceil=True)
        days = np.arange(first // STEPS_PER_DAY,
                         max(stop - 1, first) // STEPS_PER_DAY + 1)
        frames = [self._day_frame(days[i:i + BLOCK_DAYS])
                  for i in range(0, len(days), BLOCK_DAYS)]
        frame = pd.concat(frames, ignore_index=True)
        inside = frame["_step"].between(first, stop - 1).to_numpy()
        return frame.loc[inside, READING_COLUMNS].reset_index(drop=True)

    def weather_forecast(self, issued_at, hours: int = 48) -> pd.DataFrame:
        """The weather forecast issued at ``issued_at`` (floored to 10 min).

        Args:
            issued_at: Issue time; it alone (with the seed) fixes the errors.
            hours: Horizon; rows run from issued_at + 10 min to + ``hours``.

        Returns:
            Columns issued_at, timestamp, turbine_id, wind_speed,
            wind_direction, ambient_temperature; one row per turbine and step.
        """
        return forecasts(self.seed, self.n_turbines, [issued_at], hours)

    def weather_forecasts(self, issued_at, hours: int = 48) -> pd.DataFrame:
        """Several issues at once (cheaper); each equals its ``weather_forecast``."""
        return forecasts(self.seed, self.n_turbines, list(issued_at), hours)

    def dataset(self, end, days: int, forecast_hours: int = 48,
                issue_every_hours: int | None = None) -> dict[str, pd.DataFrame]:
        """The farm as contract input files: what a site would hand over at ``end``.

        Args:
            end: UTC end of the history (floored to 10 min); naive is UTC.
            days: Length of the history of readings before ``end``.
            forecast_hours: Horizon of each weather forecast.
            issue_every_hours: None: the one forecast issued at ``end`` (what
                inference scores). Otherwise every forecast issued on these
                boundaries over the history, up to ``end`` (an archive, what
                training learns from).

        Returns:
            ``{"turbines", "scada", "forecast"}``: the turbine table, the dirty
            readings in [end - days, end) and the forecast rows (with issued_at).
        """
        end = st.to_utc(end).floor("10min")
        start = end - pd.Timedelta(days=days)
        issues = ([end] if issue_every_hours is None
                  else forecast_issue_times(start, end, issue_every_hours))
        return {"turbines": self.turbines(), "scada": self.readings(start, end),
                "forecast": self.weather_forecasts(issues, forecast_hours)}

    def _day_frame(self, days: np.ndarray) -> pd.DataFrame:
        """All rows of whole days, with the helper column ``_step``."""
        turbines, effects = make_site(self.seed, self.n_turbines)
        k = self.n_turbines
        weather = simulate_weather(self.seed, k, days)
        power = clean_power(self.seed, weather, turbines, effects, days)
        power = apply_fault(power, weather, turbines, days, self.fault)
        power, pitch = operate(self.seed, power, weather, turbines, days)
        yaw_noise = st.daily(self.seed, st.YAW, days,
                             lambda rng: rng.normal(0, 3, (STEPS_PER_DAY, k)))
        columns = {
            "wind_speed": weather["measured_ws"][:, 1:].reshape(-1, k).round(2),
            "wind_direction": ((weather["direction"][:, 1:, None] + yaw_noise)
                               % 360).reshape(-1, k).round(1),
            "ambient_temperature": np.repeat(
                weather["temp"][:, 1:].reshape(-1, 1), k, axis=1).round(2),
            "power_kw": power.round(1),
            "pitch_angle": pitch.round(2),
        }
        return long_frame(self.seed, days, turbines["turbine_id"].to_numpy(),
                          soil(self.seed, days, columns))


def forecast_issue_times(start, end, every_hours: int = 6) -> pd.DatetimeIndex:
    """Issue times on ``every_hours`` boundaries of the UTC day in (start, end]."""
    start, end = st.to_utc(start), st.to_utc(end)
    first = start.floor(f"{every_hours}h") + pd.Timedelta(hours=every_hours)
    return pd.date_range(first, end, freq=f"{every_hours}h")


@dataclass(frozen=True)
class DemoSite:
    """One demo wind farm: where it is and the farm that streams its data."""

    site_id: str
    name: str
    farm: DemoFarm
    latitude: float | None = None
    longitude: float | None = None
    time_zone: str = "UTC"


def demo_sites(params: dict) -> list[DemoSite]:
    """The ``n_sites`` demo farms of the ``ingest.demo_farm`` parameters: the
    listed ``sites`` first, then made-up ones (``demo-3``, ...: seed 42 + n, 6
    turbines). The ``fault`` goes to its ``site_id`` (default: the first site)."""
    conf = params.get("demo_farm", params)
    listed = list(conf.get("sites") or [])
    n_sites = int(conf.get("n_sites", len(listed) or 1))
    specs = [dict(s) for s in listed[:n_sites]] + [
        {"site_id": f"demo-{n}", "name": f"Demo {n}", "seed": 42 + n}
        for n in range(len(listed) + 1, n_sites + 1)]
    fault = dict(conf.get("fault") or {})
    faulty = fault.pop("site_id", specs[0]["site_id"] if specs else None)
    return [_demo_site(spec, Fault(**fault) if fault and faulty == spec["site_id"]
                       else None) for spec in specs]


def _demo_site(spec: dict, fault: Fault | None) -> DemoSite:
    rest = {k: v for k, v in spec.items()
            if k not in ("site_id", "name", "seed", "n_turbines")}
    farm = DemoFarm(seed=int(spec.get("seed", 42)),
                    n_turbines=int(spec.get("n_turbines", 6)), fault=fault)
    return DemoSite(spec["site_id"], spec.get("name", spec["site_id"]), farm, **rest)


def demo_farm_from_params(params: dict) -> DemoFarm:
    """The first demo farm of the ``ingest.demo_farm`` parameters (or of
    ``ingest``), with the fault if it is the fault's site."""
    conf = params.get("demo_farm", params)
    if conf.get("sites"):
        return demo_sites({**conf, "n_sites": 1})[0].farm
    fault = conf.get("fault")
    return DemoFarm(seed=int(conf.get("seed", 42)),
                    n_turbines=int(conf.get("n_turbines", 6)),
                    fault=Fault(**fault) if fault else None)
