"""Nodes of the training pipeline: baseline power curve, model fit, ablation."""

import logging

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingRegressor
from threadpoolctl import threadpool_limits

from windpower.forecast_model import curve_power, fit_binned_curve, make_lookup

logger = logging.getLogger(__name__)


def normal_rows(table: pd.DataFrame) -> pd.DataFrame:
    """Rows in normal operation with a measured power (what the model learns)."""
    keep = (table["operating_state"] == "normal") & table["power_kw"].notna()
    return table.loc[keep]


def fit_baseline(train: pd.DataFrame, params: dict) -> dict:
    """Fit the IEC-style binned power curve (per turbine, density-normalised wind).

    Args:
        train: Training rows with ``ws_norm``, ``power_kw``, ``operating_state``.
        params: ``power_curve`` parameters (``bin_width``, ``max_wind``).

    Returns:
        The binned curve (bin centres and mean power per turbine).
    """
    rows = normal_rows(train)
    return fit_binned_curve(
        rows["ws_norm"].to_numpy(), rows["power_kw"].to_numpy(),
        rows["turbine_id"].to_numpy(), params["power_curve"]["bin_width"],
        params["power_curve"]["max_wind"])


def training_frame(table: pd.DataFrame, curve: dict) -> tuple[pd.DataFrame, np.ndarray]:
    """Features with the curve baseline and the target: deviation / rated power."""
    rows = normal_rows(table)
    base = curve_power(curve, rows["turbine_id"].to_numpy(), rows["ws_norm"].to_numpy())
    rated = rows["rated_power_kw"].to_numpy()
    frame = rows.assign(baseline_kw_norm=base / rated)
    target = rows["power_kw"].to_numpy() / rated - frame["baseline_kw_norm"].to_numpy()
    return frame, target


def train_model(train: pd.DataFrame, curve: dict, turbines: pd.DataFrame,
                params: dict, features_params: dict) -> dict:
    """Fit the deviation-from-curve model and bundle it for serving.

    Args:
        train: Training rows with features.
        curve: Baseline binned power curve.
        turbines: Validated turbine table.
        params: Training parameters (``features``, ``estimator``, ...).
        features_params: Feature parameters shared with data_processing.

    Returns:
        Model bundle: estimator, feature list, lookup tables, cut-out speed and
        the OpenMP threads to score with (``None``: all cores).
    """
    frame, target = training_frame(train, curve)
    if len(frame) > params["max_train_rows"]:
        frame = frame.iloc[-params["max_train_rows"]:]
        target = target[-params["max_train_rows"]:]
    features = list(params["features"])
    estimator = HistGradientBoostingRegressor(**params["estimator"])
    with threadpool_limits(params["threads"]):
        # A plain matrix, as predict_power scores one (no feature-name checks).
        estimator.fit(frame[features].to_numpy(float), target)
    logger.info("trained on %d rows, %d iterations", len(frame), estimator.n_iter_)
    lookup = make_lookup(turbines, features_params["sectors"], curve)
    return {"estimator": estimator, "features": features, "lookup": lookup,
            "cut_out_speed": float(params["cut_out_speed"]),
            "threads": params["threads"]}


def ablate_features(train: pd.DataFrame, curve: dict, params: dict) -> dict:
    """Cheap feature-set ablation on the last part of the training period.

    Returns:
        ``{"ablation": {set_name: {"mae_kw": ...}}, "feature_sets": {...}}``.
    """
    settings = params["ablation"]
    frame, target = training_frame(train, curve)
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
