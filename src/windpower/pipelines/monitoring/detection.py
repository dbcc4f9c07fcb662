"""Node that decides, per turbine, whether the champion has degraded, and why."""

import logging

import numpy as np
import pandas as pd

from windpower.clock import run_time
from windpower.farm_total import FARM
from windpower.pipelines.monitoring.signals import (
    daily_index,
    drift_signals,
    hysteresis,
    rolling_sums,
)

logger = logging.getLogger(__name__)


def _ratio(num: pd.DataFrame, den: pd.DataFrame) -> pd.DataFrame:
    with np.errstate(divide="ignore", invalid="ignore"):
        return num / den.where(den > 0)


def performance_signal(scored: pd.DataFrame, reference: dict, days, params: dict
                       ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Live MAE (% of rated) of the champion's own forecasts / its holdout MAE.

    Returns:
        (ratio, samples), each a (day x turbine) table.
    """
    rows = scored.loc[(scored["model_version"] == reference["version"])
                      & scored["horizon_band"].isin(params["performance"]["bands"])]
    rows = rows.assign(one=1.0, pct=100 * rows["error_kw"].abs()
                       / rows["rated_power_kw"])
    sums = rolling_sums(rows, ["one", "pct"], days, params["lookback_days"])
    live = _ratio(sums["pct"], sums["one"])
    return live / reference["holdout_mae_pct_rated"], sums["one"]


def concept_signal(readings: pd.DataFrame, days, params: dict
                   ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Energy lost against the champion's curve at the measured wind, in high wind.

    Loss = 1 - actual / expected over readings with
    ``min_wind <= measured wind < max_wind`` (``score_readings``).

    Returns:
        (loss, samples), each a (day x turbine) table.
    """
    settings = params["concept"]
    rows = _operating(readings.loc[readings["measured_wind"].between(
        settings["min_wind"], settings["max_wind"], inclusive="left")], settings)
    sums = rolling_sums(rows.assign(one=1.0), ["one", "actual_kw", "expected_kw"],
                        days, settings.get("lookback_days", params["lookback_days"]))
    return 1 - _ratio(sums["actual_kw"], sums["expected_kw"]), sums["one"]


def _operating(rows: pd.DataFrame, settings: dict) -> pd.DataFrame:
    """Rows where the turbine made at least ``min_share`` of the curve: stoppages,
    curtailment and icing (events, not a changed turbine) are left out, as training
    flags them; a lasting partial loss (blade damage, derating) stays in."""
    return rows.loc[rows["actual_kw"] >= settings["min_share"] * rows["expected_kw"]]


def loss_by_bin(readings: pd.DataFrame, turbine: str, since: pd.Timestamp,
                params: dict) -> dict[str, float]:
    """Evidence: the loss per wind-speed bin (``"8-9"``: 8 to 9 m/s) of a turbine."""
    settings = params["concept"]
    rows = readings.loc[(readings["turbine_id"] == turbine)
                        & (readings["day"] > since)]
    rows = _operating(rows.loc[rows["measured_wind"] >= settings["min_wind"]],
                      settings)
    width = settings["bin_width"]
    low = (rows["measured_wind"] // width) * width
    sums = rows.groupby(low)[["actual_kw", "expected_kw"]].sum()
    return {f"{b:g}-{b + width:g}": round(float(1 - a / e), 4)
            for b, (a, e) in sums.iterrows() if e > 0}


def _states(signals: dict, params: dict) -> dict[str, pd.DataFrame]:
    """Replay each detector's hysteresis over the days, per turbine."""
    states = {}
    for name, (values, samples) in signals.items():
        rule = params[name.split(":")[0]]
        states[name] = pd.DataFrame({
            turbine: hysteresis(values[turbine].to_numpy(float),
                                samples[turbine].to_numpy(float), rule["enter"],
                                rule["clear"], rule["min_samples"])
            for turbine in values.columns}, index=values.index)
    return states


def _as_of_day(days: pd.Series, as_of) -> pd.Timestamp:
    """The last day to judge: ``as_of``'s, or the newest data's when it is null."""
    if as_of is not None:
        return run_time(as_of).floor("D")
    if len(days):
        return days.max()
    return pd.Timestamp.now(tz="UTC").floor("D")  # pragma: no cover, no data


def compute_signals(scored: pd.DataFrame, readings: pd.DataFrame,
                    histograms: pd.DataFrame, reference: dict, params: dict) -> dict:
    """Every detector's daily values, samples and replayed states.

    Returns:
        ``{"days", "signals": {name: (values, samples)}, "states": {name: table}}``;
        names are ``performance``, ``concept``, ``drift:<variable>``.
    """
    # The detectors judge turbines: the farm total is no turbine, whatever rows
    # reach here (its thresholds and samples are a turbine's).
    scored = scored.loc[scored["turbine_id"] != FARM]
    seen = pd.concat([scored["day"], readings["day"]])
    days = daily_index(seen, _as_of_day(seen, params["as_of"]))
    signals = {"performance": performance_signal(scored, reference, days, params),
               "concept": concept_signal(readings, days, params)}
    if reference.get("wind_histograms") is None:
        logger.warning("champion version %s stores no reference wind histograms "
                       "(trained before they were kept): input drift is not "
                       "computed until the next champion", reference["version"])
    else:
        for variable, pair in drift_signals(histograms, days,
                                            reference["wind_histograms"],
                                            params).items():
            signals[f"drift:{variable}"] = pair
    return {"days": days, "signals": signals, "states": _states(signals, params)}
