"""Nodes of the data_processing pipeline: validate, flag operation, features, split."""

import logging

import numpy as np
import pandas as pd

from windpower import contract
from windpower.forecast_model import build_features, make_lookup
from windpower.model_inputs import measured_at_issue, utc_ns

logger = logging.getLogger(__name__)


def validate_turbines(turbines_raw: pd.DataFrame) -> pd.DataFrame:
    """Check the turbine table against the contract.

    Args:
        turbines_raw: Turbine metadata as loaded.

    Returns:
        Typed turbine table (any bad row raises ``ContractError``).
    """
    return contract.check_turbines(turbines_raw)


def validate_readings(scada_raw: pd.DataFrame, turbines: pd.DataFrame,
                      params: dict) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """Validate SCADA history rows (see ``validate_rows``)."""
    return contract.validate_rows(scada_raw, turbines, params, "scada")


def flag_operation(readings: pd.DataFrame, turbines: pd.DataFrame,
                   params: dict) -> pd.DataFrame:
    """Add ``operating_state``: normal, stoppage, curtailment or underperformance.

    Args:
        readings: Valid SCADA rows.
        turbines: Validated turbine table.
        params: Thresholds (``flags``) of the data_processing parameters.

    Returns:
        A copy of the readings with ``operating_state``.
    """
    p = params["flags"]
    rated = readings["turbine_id"].map(turbines.set_index("turbine_id")[
        "rated_power_kw"]).to_numpy()
    ws, power = readings["wind_speed"].to_numpy(), readings["power_kw"].to_numpy()
    pitch = (readings["pitch_angle"].to_numpy() if "pitch_angle" in readings
             else np.zeros(len(readings)))
    # One integer key per (turbine, wind bin): at 10M rows grouping on it takes
    # 1.0 s against 2.3 s on the (codes, bins) pair (docs/scale.md).
    bins = np.floor(ws / p["curve_bin_width"])
    codes, _ = pd.factorize(readings["turbine_id"])
    key = np.where(np.isnan(bins), -1, codes.astype(np.int64) * 2**32
                   + np.nan_to_num(bins).astype(np.int64))
    median = readings["power_kw"].groupby(key).transform("median").to_numpy()
    expected = np.where(np.isnan(bins), np.nan, median)  # no wind, no bin
    stoppage = ((ws >= p["stoppage_min_wind"]) & (power <= p["stoppage_max_power"]
                * rated)) | (pitch >= p["stoppage_min_pitch"])
    curtail = (pitch >= p["curtailment_min_pitch"]) & (ws < p["curtailment_max_wind"])
    under = (power < p["underperformance_ratio"] * expected) & (
        expected > p["underperformance_min_expected"] * rated)
    state = np.select([stoppage, curtail, under],
                      ["stoppage", "curtailment", "underperformance"], "normal")
    logger.info("operating states: %s", pd.Series(state).value_counts().to_dict())
    return readings.assign(operating_state=state)


def build_model_input(readings: pd.DataFrame, turbines: pd.DataFrame,
                      params: dict) -> pd.DataFrame:
    """Join the forecast features (shared with the served model) to the readings.

    Args:
        readings: Flagged SCADA rows.
        turbines: Validated turbine table.
        params: ``features`` parameters (``sectors``).

    Returns:
        Readings plus feature columns (power-curve features are added in training).
    """
    lookup = make_lookup(turbines, params["features"]["sectors"])
    # float32 halves a large fleet's table (docs/scale.md); the trees' splits do
    # not need more than 7 digits, and the fit and scoring work in float64.
    features = build_features(readings, lookup, np.float32)
    extra = features.drop(columns=["wind_speed"])
    return pd.concat([readings, extra], axis=1)


def split_by_time(model_input: pd.DataFrame, params: dict
                  ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Hold out the last ``holdout_days`` of history (never a random split).

    Returns:
        Train rows (before the cut) and holdout rows (from the cut on).
    """
    cut = model_input["timestamp"].max() - pd.Timedelta(days=params["holdout_days"])
    test = model_input["timestamp"] > cut
    logger.info("time split at %s: %d train, %d holdout rows", cut,
                (~test).sum(), test.sum())
    return (model_input.loc[~test].reset_index(drop=True),
            model_input.loc[test].reset_index(drop=True))


def build_forecast_pairs(archive: pd.DataFrame, readings: pd.DataFrame,
                         turbines: pd.DataFrame, params: dict) -> pd.DataFrame:
    """Each weather-forecast row as issued, with what was measured at issue time
    and the power later measured at its target time: what the forecaster learns.

    Args:
        archive: Weather forecasts as issued (``issued_at`` + contract columns).
        readings: Flagged readings (``operating_state``).
        turbines: Validated turbine table.
        params: ``forecast_pairs`` (``max_lead_hours``, ``at_issue_max_age_minutes``).

    Returns:
        Every archive row of a known turbine within the lead range (whole issues,
        so features see each forecast's neighbours) with ``power_at_issue_kw``,
        ``wind_speed_at_issue``, ``power_kw`` and ``operating_state`` (NaN where
        nothing was measured at the target time). Empty without an archive.
    """
    p = params["forecast_pairs"]
    if archive.empty or "issued_at" not in archive:
        logger.warning("no weather forecasts as issued (issued_at) to learn from")
        return pd.DataFrame(columns=["issued_at", *contract.REQUIRED_COLUMNS[
            "forecast"], "power_at_issue_kw", "wind_speed_at_issue", "power_kw",
            "operating_state"])
    archive = archive.assign(**{c: utc_ns(archive[c])
                                for c in ("issued_at", "timestamp")})
    lead = archive["timestamp"] - archive["issued_at"]
    keep = archive["turbine_id"].astype(str).isin(turbines["turbine_id"]) & (
        lead > pd.Timedelta(0)) & (lead <= pd.Timedelta(hours=p["max_lead_hours"]))
    rows = measured_at_issue(archive.loc[keep].reset_index(drop=True), readings,
                             p["at_issue_max_age_minutes"])
    actual = readings[["turbine_id", "timestamp", "power_kw", "operating_state"]]
    pairs = rows.merge(actual.assign(turbine_id=actual["turbine_id"].astype(str)),
                       on=["turbine_id", "timestamp"], how="left")
    logger.info("forecast pairs: %d rows of %d issues, %d with measured power",
                len(pairs), pairs["issued_at"].nunique(),
                pairs["power_kw"].notna().sum())
    return pairs


def split_forecast_pairs(pairs: pd.DataFrame, params: dict
                         ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Train on targets before the cut, hold out the issues from the cut on.

    The cut is ``holdout_days`` before the newest measured target, as for the
    readings; no training target lies after a held-out issue.
    """
    measured = pairs.loc[pairs["power_kw"].notna(), "timestamp"]
    if measured.empty:
        return pairs.iloc[:0], pairs.iloc[:0]
    cut = measured.max() - pd.Timedelta(days=params["holdout_days"])
    train, test = pairs["timestamp"] <= cut, pairs["issued_at"] >= cut
    logger.info("forecast pairs split at %s: %d train, %d holdout rows", cut,
                train.sum(), test.sum())
    return (pairs.loc[train].reset_index(drop=True),
            pairs.loc[test].reset_index(drop=True))
