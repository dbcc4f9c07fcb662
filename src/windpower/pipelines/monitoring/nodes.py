"""Nodes of the monitoring pipeline: the champion's reference, forecast quality."""

import logging

import numpy as np
import pandas as pd

from windpower.errors import NoChampionError
from windpower.farm_total import FARM
from windpower.forecast_model import curve_at, pinball

logger = logging.getLogger(__name__)
QUALITY_KEY = ["day", "turbine_id", "horizon_band", "model_version"]


def champion_reference(champion: dict | None, run: dict | None, params: dict) -> dict:
    """What the live forecasts are judged against, all from the champion in MLflow.

    Args:
        champion: ``{"model", "version", "run_id"}`` (``ChampionModelDataset``).
        run: The champion's training run (``ChampionRunDataset``).
        params: ``monitoring`` parameters (``holdout_metrics``).

    Returns:
        ``version``, ``run_id``, the binned power ``curve`` the model was fitted
        on, its holdout MAE (kW and % of rated) and the wind histograms of its
        training data (None for a model trained before they were stored).
    """
    if champion is None or run is None:
        raise NoChampionError()
    if int(run["version"]) != int(champion["version"]):
        raise RuntimeError(f"the champion moved while loading (model version "
                           f"{champion['version']}, run of {run['version']})")
    bundle = champion["model"].unwrap_python_model().bundle
    names = params["holdout_metrics"]
    return {"version": int(champion["version"]), "run_id": champion["run_id"],
            "curve": bundle["lookup"]["curve"],
            "holdout_mae_kw": _first_metric(run["metrics"], names["mae_kw"]),
            "holdout_mae_pct_rated": _first_metric(run["metrics"],
                                                   names["mae_pct_rated"]),
            "wind_histograms": bundle.get("wind_histograms")}


def _first_metric(metrics: dict, names: list[str]) -> float:
    """The first of ``names`` the run logged: a champion trained without a forecast
    archive has only its measured-wind holdout figures."""
    for name in names:
        if name in metrics:
            return float(metrics[name])
    raise KeyError(f"the champion's training run logged none of {names}")


def _with_time(frame: pd.DataFrame) -> dict[str, pd.Series]:
    """``timestamp`` and ``day`` (UTC midnight) from the query's epoch seconds."""
    epoch = frame["epoch"].to_numpy("int64")
    return {"timestamp": pd.to_datetime(epoch, unit="s", utc=True),
            "day": pd.to_datetime(epoch - epoch % 86_400, unit="s", utc=True)}


def _turbine_column(turbines: pd.DataFrame, ids: pd.Series, column: str
                    ) -> np.ndarray:
    """Each row's turbine constant (NaN for an unknown turbine)."""
    # Look up the few distinct ids, not every row's string.
    codes, names = pd.factorize(ids)
    table = turbines.set_index("turbine_id")[column].reindex(names).to_numpy(float)
    return np.append(table, np.nan)[codes]


def score_forecasts(rows: pd.DataFrame, turbines: pd.DataFrame, reference: dict
                    ) -> pd.DataFrame:
    """Each prediction with its error and its baseline.

    Args:
        rows: Predictions joined to readings and weather forecasts (one row per
            prediction): ``epoch`` (target time), ``horizon_minutes``,
            ``horizon_band``, ``predicted_kw``, ``p10_kw``, ``p90_kw``,
            ``actual_kw``, ``forecast_wind``, ``forecast_temperature``.
        turbines: ``turbine_id``, ``rated_power_kw``, ``hub_height_m``.
        reference: From ``champion_reference``.

    Returns:
        Rows of the champion and earlier versions, plus ``timestamp``, ``day``,
        ``rated_power_kw``, ``error_kw`` (predicted - actual) and ``baseline_kw``
        (the champion's binned curve on the same forecast weather).
    """
    frame = rows.loc[rows["model_version"] <= reference["version"]]
    ids = frame["turbine_id"]
    baseline = curve_at(reference["curve"], ids.to_numpy(),
                         frame["forecast_wind"].to_numpy(float),
                         frame["forecast_temperature"].to_numpy(float),
                         _turbine_column(turbines, ids, "hub_height_m"))
    return frame.assign(
        **_with_time(frame), rated_power_kw=_turbine_column(
            turbines, ids, "rated_power_kw"),
        error_kw=frame["predicted_kw"] - frame["actual_kw"], baseline_kw=baseline)


def score_readings(readings: pd.DataFrame, turbines: pd.DataFrame, reference: dict
                   ) -> pd.DataFrame:
    """Each reading with ``expected_kw``: the champion's curve at the measured wind
    (what the turbine made, at this wind, in the data the champion learnt from).

    Args:
        readings: ``turbine_id``, ``epoch``, ``measured_wind``,
            ``measured_temperature``, ``actual_kw``.
        turbines: ``turbine_id``, ``hub_height_m``.
        reference: From ``champion_reference``.
    """
    ids = readings["turbine_id"]
    expected = curve_at(reference["curve"], ids.to_numpy(),
                         readings["measured_wind"].to_numpy(float),
                         readings["measured_temperature"].to_numpy(float),
                         _turbine_column(turbines, ids, "hub_height_m"))
    return readings.assign(**_with_time(readings), expected_kw=expected)


# A turbine forecast set: the issue is target - horizon, so (target, horizon,
# version) names one issue's forecast of one target time by one model.
_FORECAST_SET = ["epoch", "horizon_minutes", "model_version"]


def score_farm_forecasts(farm_rows: pd.DataFrame, scored: pd.DataFrame
                         ) -> pd.DataFrame:
    """The farm total's stored forecasts, scored like a turbine's (``FARM`` rows).

    The farm's actual power is the sum of the turbines' measured power. A total
    is scored only at the target times where every turbine it summed has a
    reading: a sum over the measured ones would compare a full farm's forecast
    with a part of the farm, and scaling the part up would invent power nobody
    measured. Rated power, the curve baseline and persistence are the turbines'
    sums too; persistence only where every turbine had its reading at issue
    (else NULL, as a turbine without one).

    Args:
        farm_rows: The ``'*'`` predictions: ``epoch``, ``horizon_minutes``,
            ``model_version``, ``predicted_kw``, ``p10_kw``, ``p90_kw`` and
            ``turbines_summed`` (the turbine forecasts the total is the sum of).
        scored: The turbines' rows from ``score_forecasts``.

    Returns:
        Rows like ``score_forecasts``'s, with turbine ``FARM``.
    """
    turbines = _farm_sums(scored)
    rows = farm_rows.merge(turbines, on=_FORECAST_SET)
    rows = rows.loc[rows["measured"] == rows["turbines_summed"]]
    persistence = rows["persistence_kw"].where(
        rows["persisted"] == rows["turbines_summed"])
    return rows.assign(
        turbine_id=FARM, persistence_kw=persistence,
        error_kw=rows["predicted_kw"].astype(float) - rows["actual_kw"],
    ).drop(columns=["measured", "persisted", "turbines_summed"])


def _farm_sums(scored: pd.DataFrame) -> pd.DataFrame:
    """Per turbine forecast set: how many turbines were measured, and the sums."""
    values = ["actual_kw", "rated_power_kw", "baseline_kw", "persistence_kw"]
    # float64: a float4 sum over many turbines would lose the last kW.
    frame = scored.assign(**{c: scored.get(c, np.nan) for c in values}).astype(
        dict.fromkeys(values, float))
    return frame.groupby(_FORECAST_SET, observed=True, as_index=False).agg(
        measured=("actual_kw", "count"), actual_kw=("actual_kw", "sum"),
        rated_power_kw=("rated_power_kw", "sum"),
        baseline_kw=("baseline_kw", "sum"),
        persisted=("persistence_kw", "count"),
        persistence_kw=("persistence_kw", "sum"),
        horizon_band=("horizon_band", "first"), timestamp=("timestamp", "first"),
        day=("day", "first"))


QUALITY_DECIMALS = 6


def compute_forecast_quality(scored: pd.DataFrame,
                             scored_farm: pd.DataFrame | None = None
                             ) -> pd.DataFrame:
    """Forecast quality per day, turbine, horizon band and model version.

    Args:
        scored: From ``score_forecasts``.
        scored_farm: From ``score_farm_forecasts``: scored the same way, as
            turbine ``FARM`` (its NMAE in % of the farm's rated power).

    Returns:
        The ``forecast_quality`` rows: ``rows``, ``mae_kw``, ``bias_kw`` (mean of
        predicted - actual: > 0 over-forecasts), ``rmse_kw``, ``mae_pct_rated``,
        ``baseline_mae_kw``, ``skill`` (1 - MAE / baseline MAE),
        ``coverage_p10_p90`` (share of actuals inside P10-P90; NULL without them),
        ``persistence_mae_kw`` and ``skill_vs_persistence`` (persistence: the power
        measured before the issue; NULL where none was), ``pinball_kw`` (mean
        pinball loss of P10/P50/P90) and ``interval_width_kw``.
    """
    if scored_farm is not None and len(scored_farm):
        scored = pd.concat([scored, scored_farm], ignore_index=True)
    actual = scored["actual_kw"]
    has_band = scored["p10_kw"].notna() & scored["p90_kw"].notna()
    inside = (scored["p10_kw"] <= actual) & (actual <= scored["p90_kw"])
    error = scored["error_kw"]
    persistence = scored.get("persistence_kw", pd.Series(np.nan, scored.index))
    p50 = scored["predicted_kw"]
    loss = sum(pinball(actual, q, lv) for lv, q in (
        (0.1, scored["p10_kw"]), (0.5, p50), (0.9, scored["p90_kw"]))) / 3
    parts = scored[QUALITY_KEY].assign(
        abs=error.abs(), err=error, sq=error**2,
        pct=100 * error.abs() / scored["rated_power_kw"],
        base=(scored["baseline_kw"] - actual).abs(), banded=has_band,
        inside=inside & has_band, persisted=persistence.notna(),
        pers=(persistence - actual).abs().fillna(0.0),
        pers_model=error.abs().where(persistence.notna(), 0.0),
        pinball=loss.where(has_band, 0.0),
        width=(scored["p90_kw"] - scored["p10_kw"]).where(has_band, 0.0))
    sums = parts.groupby(QUALITY_KEY, sort=True, observed=True).agg(
        rows=("abs", "size"), abs=("abs", "sum"), err=("err", "sum"), sq=("sq", "sum"),
        pct=("pct", "sum"), base=("base", "sum"), banded=("banded", "sum"),
        inside=("inside", "sum"), persisted=("persisted", "sum"),
        pers=("pers", "sum"), pers_model=("pers_model", "sum"),
        pinball=("pinball", "sum"), width=("width", "sum"))
    n = sums["rows"]
    quality = pd.DataFrame({
        "rows": n.astype(int), "mae_kw": sums["abs"] / n, "bias_kw": sums["err"] / n,
        "rmse_kw": np.sqrt(sums["sq"] / n), "mae_pct_rated": sums["pct"] / n,
        "baseline_mae_kw": sums["base"] / n})
    with np.errstate(divide="ignore", invalid="ignore"):
        skill = 1 - quality["mae_kw"] / quality["baseline_mae_kw"]
        coverage = sums["inside"] / sums["banded"]
    quality["skill"] = skill.where(quality["baseline_mae_kw"] > 0, 0.0)
    quality["coverage_p10_p90"] = coverage.where(sums["banded"] > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        persisted = sums["persisted"].where(sums["persisted"] > 0)
        quality["persistence_mae_kw"] = sums["pers"] / persisted
        # Judged on the same rows (those with a reading at issue).
        quality["skill_vs_persistence"] = 1 - sums["pers_model"] / sums["pers"].where(
            sums["pers"] > 0)
        banded = sums["banded"].where(sums["banded"] > 0)
        quality["pinball_kw"] = sums["pinball"] / banded
        quality["interval_width_kw"] = sums["width"] / banded
    # Sums in the order Postgres returned the rows differ in the last bits from run
    # to run: rounded, a re-run over the same rows writes nothing.
    quality = quality.round(QUALITY_DECIMALS).reset_index()
    quality["day"] = quality["day"].dt.date
    quality["turbine_id"] = quality["turbine_id"].astype(str)
    quality["horizon_band"] = quality["horizon_band"].astype(str)
    logger.info("forecast quality: %d rows from %d predictions", len(quality),
                len(scored))
    return quality
