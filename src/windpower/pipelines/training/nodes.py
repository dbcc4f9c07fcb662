"""Nodes of the training pipeline: baseline power curve, model fit, ablation."""

import logging

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingRegressor
from threadpoolctl import threadpool_limits

from windpower.drift import wind_histograms
from windpower.forecast_model import (
    curve_power,
    farm_wind_features,
    fit_binned_curve,
    fit_farm_ratio,
    make_lookup,
)
from windpower.pipelines.training.estimators import fit_estimator, held_out_residuals
from windpower.pipelines.training.forecaster import fit_forecaster
from windpower.pipelines.training.intervals import calibration_rows, fit_intervals

logger = logging.getLogger(__name__)
FARM_COLUMNS = ("ws_norm", "farm_ws_mean", "farm_dir_sin", "farm_dir_cos")


def normal_rows(table: pd.DataFrame, max_rows: int | None = None) -> pd.DataFrame:
    """Rows in normal operation with a measured power (what the model learns).

    With ``max_rows``, at most that many, evenly spaced in the table's order. The
    table is ordered by turbine, then time, so every turbine keeps the same share
    of rows, spread over its whole window (all seasons); the last rows would be the
    last turbines of a large fleet. Only the kept rows are copied.
    """
    keep = (table["operating_state"] == "normal") & table["power_kw"].notna()
    positions = np.flatnonzero(keep.to_numpy())
    if max_rows is not None and len(positions) > max_rows:
        positions = positions[np.linspace(0, len(positions) - 1, max_rows)
                              .round().astype(int)]
    return table.iloc[positions]


def fit_baseline(train: pd.DataFrame, params: dict) -> dict:
    """Fit the IEC-style binned power curve (per turbine, density-normalised wind).

    Args:
        train: Training rows with ``ws_norm``, ``power_kw``, ``operating_state``.
        params: ``power_curve`` parameters (``bin_width``, ``max_wind``).

    Returns:
        The binned curve (bin centres and mean power per turbine).
    """
    # Only the columns the curve needs: a large fleet's table is not copied whole.
    rows = normal_rows(train[["operating_state", "power_kw", "turbine_id",
                              "turbine_code", *FARM_COLUMNS]])
    curve = fit_binned_curve(
        rows["ws_norm"].to_numpy(), rows["power_kw"].to_numpy(),
        rows["turbine_id"].to_numpy(), params["power_curve"]["bin_width"],
        params["power_curve"]["max_wind"])
    code = rows["turbine_code"].to_numpy(int)
    curve["farm_ratio"] = fit_farm_ratio(
        {c: rows[c].to_numpy() for c in FARM_COLUMNS}, code,
        int(code.max()) + 1, params["power_curve"]["farm_sectors"])
    return curve


def training_frame(table: pd.DataFrame, curve: dict, max_rows: int | None = None
                   ) -> tuple[pd.DataFrame, np.ndarray]:
    """Features with the curve baseline and the target: deviation / rated power.

    ``max_rows`` caps the rows (``normal_rows``) before any column is added, so
    a large fleet's year never gets the training columns in memory all at once.
    """
    rows = normal_rows(table, max_rows)
    turbine, rated = rows["turbine_id"].to_numpy(), rows["rated_power_kw"].to_numpy()
    farm = farm_wind_features(curve["farm_ratio"], rows["turbine_code"].to_numpy(int),
                              {c: rows[c].to_numpy() for c in FARM_COLUMNS})
    frame = rows.assign(
        baseline_kw_norm=curve_power(curve, turbine, rows["ws_norm"].to_numpy())
        / rated,
        curve_blend_norm=curve_power(curve, turbine, farm["ws_blend"]) / rated,
        **farm)
    target = rows["power_kw"].to_numpy() / rated - frame["baseline_kw_norm"].to_numpy()
    return frame, target


def power_floor(train: pd.DataFrame) -> float:
    """The lowest power the model predicts, as a fraction of rated: 0, or the
    turbines' idling consumption (their 0.5 % quantile, never below -5 %)."""
    norm = (train["power_kw"] / train["rated_power_kw"]).to_numpy(float)
    norm = norm[np.isfinite(norm)]
    if not len(norm):
        return 0.0
    return float(np.clip(np.quantile(norm, 0.005), -0.05, 0.0))


def climatology(train: pd.DataFrame) -> dict[str, float]:
    """Each turbine's mean measured power (kW) over the training window: the
    forecast that knows nothing of the weather."""
    return {str(k): float(v) for k, v in
            train.groupby("turbine_id", observed=True)["power_kw"].mean().items()}


def train_model(  # noqa: PLR0917 (Kedro passes a node's inputs by position)
        train: pd.DataFrame, curve: dict, turbines: pd.DataFrame,
                params: dict, features_params: dict,
                train_pairs: pd.DataFrame | None = None) -> dict:
    """Fit the power curve's deviation model and the forecaster, bundled for serving.

    Args:
        train: Training rows with features (measured wind).
        curve: Baseline binned power curve.
        turbines: Validated turbine table.
        params: Training parameters (``features``, ``estimator``, ...).
        features_params: Feature parameters shared with data_processing.
        train_pairs: Weather forecasts as issued with the power measured later
            (``build_forecast_pairs``); empty without a forecast archive.

    Returns:
        Model bundle: estimator, feature list, lookup tables, conformal interval
        offsets, the forecaster (None without an archive: forecasts then get the
        power curve, and ``training_input`` says so), the power floor, each
        turbine's climatology, cut-out speed, the OpenMP threads to score with
        (``None``: all cores) and the wind histograms of the training rows
        (monitoring's drift reference).
    """
    floor = power_floor(train)
    frame, target = training_frame(train, curve, params["max_train_rows"])
    intervals = calibrate(frame, target, len(turbines), floor, params)
    estimator = _fit(frame, target, params)
    logger.info("trained on %d rows, %d iterations", len(frame), estimator.n_iter_)
    lookup = make_lookup(turbines, features_params["sectors"], curve)
    forecaster = fit_forecaster(train_pairs, lookup, floor, params)
    if forecaster is None:
        logger.warning("no weather forecasts as issued in the training window: "
                       "forecasts will be made by the power curve (measured wind)")
    return {"estimator": estimator, "features": list(params["features"]),
            "lookup": lookup, "intervals": intervals, "forecaster": forecaster,
            "training_input": "measured wind only (no forecast archive)"
            if forecaster is None else "weather forecasts as issued",
            "power_floor_norm": floor, "climatology_kw": climatology(train),
            "cut_out_speed": float(params["cut_out_speed"]),
            "threads": params["threads"],
            "wind_histograms": wind_histograms(train)}


def _fit(frame: pd.DataFrame, target: np.ndarray, params: dict
         ) -> HistGradientBoostingRegressor:
    return fit_estimator(frame[params["features"]].to_numpy(float), target,
                         params["estimator"], params["threads"])


def calibrate(frame: pd.DataFrame, target: np.ndarray, n_turbines: int,
              floor: float, params: dict) -> dict:
    """Conformal interval offsets: fit without some weeks, score those weeks.

    The served model is then refit on all rows, so its errors on new data are
    at most those of this smaller fit: the intervals err on the wide side.

    Returns:
        ``fit_intervals``'s offsets table.
    """
    spec = params["intervals"]
    held = calibration_rows(frame["timestamp"], spec["calibration"])
    residual = held_out_residuals(
        frame[params["features"]].to_numpy(float), target,
        frame["baseline_kw_norm"].to_numpy(), np.flatnonzero(~held),
        np.flatnonzero(held), frame["roll7_mean"].to_numpy() >= params["cut_out_speed"],
        floor, params)
    rows = frame.loc[held]
    return fit_intervals(residual, rows["ws_norm"].to_numpy(),
                         rows["turbine_code"].to_numpy(int), n_turbines,
                         spec | {"max_wind": params["power_curve"]["max_wind"]})


def ablate_features(train: pd.DataFrame, curve: dict, params: dict) -> dict:
    """Cheap feature-set ablation on the last part of the training period.

    Returns:
        ``{"ablation": {set_name: {"mae_kw": ...}}, "feature_sets": {...}}``.
    """
    settings = params["ablation"]
    frame, target = training_frame(train, curve, params["max_train_rows"])
    cut = int(len(frame) * (1 - settings["validation_fraction"]))
    order = np.argsort(frame["timestamp"].to_numpy(), kind="stable")
    fit_idx, val_idx = order[:cut][-settings["max_rows"]:], order[cut:]
    rated = frame["rated_power_kw"].to_numpy()[val_idx]
    curve_mae = float(np.mean(np.abs(target[val_idx] * rated)))
    results = {"curve_only": {"mae_kw": curve_mae}}
    for name, features in settings["feature_sets"].items():
        est = HistGradientBoostingRegressor(**settings["estimator"])
        with threadpool_limits(params["threads"]):
            est.fit(frame[features].iloc[fit_idx], target[fit_idx])
            err = (est.predict(frame[features].iloc[val_idx]) - target[val_idx]) * rated
        results[name] = {"mae_kw": float(np.mean(np.abs(err)))}
    logger.info("feature ablation: %s", results)
    return {"ablation": results, "feature_sets": dict(settings["feature_sets"])}
