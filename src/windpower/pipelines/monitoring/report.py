"""Nodes that turn the detectors' states into the degradation report and metrics."""

import logging
import math

import pandas as pd

from windpower.farm_total import FARM
from windpower.pipelines.monitoring.detection import compute_signals, loss_by_bin

logger = logging.getLogger(__name__)


def _number(value) -> float | None:
    """JSON-safe float (NaN: None), rounded for people."""
    value = float(value)
    return None if math.isnan(value) else round(value, 4)


def _last(table: pd.DataFrame, turbine: str, missing: float = float("nan")) -> float:
    return table[turbine].iloc[-1] if turbine in table else missing


def turbine_signals(computed: dict) -> pd.DataFrame:
    """Each turbine's signals, samples and states on the last day (one row each)."""
    turbines = sorted({t for values, _ in computed["signals"].values()
                       for t in values.columns})
    rows = []
    for turbine in turbines:
        row = {"turbine_id": turbine}
        for name, (values, samples) in computed["signals"].items():
            state = computed["states"][name]
            row[f"{name}.value"] = _last(values, turbine)
            # A signal that has seen nothing of this turbine yet (on a fresh stack
            # no forecast's target time has passed) has 0 samples, not NaN.
            row[f"{name}.samples"] = _last(samples, turbine, 0.0)
            row[f"{name}.active"] = bool(turbine in state and state[turbine].iloc[-1])
        rows.append(row)
    return pd.DataFrame(rows)


def _evidence(row: pd.Series, names: list[str], reference: dict) -> dict:
    evidence = {name: {"value": _number(row[f"{name}.value"]),
                       "samples": int(row[f"{name}.samples"]),
                       "active": bool(row[f"{name}.active"])} for name in names}
    evidence["performance"]["holdout_mae_pct_rated"] = _number(
        reference["holdout_mae_pct_rated"])
    return evidence


def detect_degradation(scored: pd.DataFrame, readings: pd.DataFrame,
                       histograms: pd.DataFrame, reference: dict, params: dict
                       ) -> tuple[dict, pd.DataFrame]:
    """Decide which turbines the champion no longer serves well, and why.

    Args:
        scored: From ``score_forecasts``.
        readings: From ``score_readings``.
        histograms: Daily wind histograms of the readings (input drift).
        reference: From ``champion_reference``.
        params: ``monitoring`` parameters (thresholds, ``degrade_on``).

    Returns:
        The report ``{"degraded", "turbines", "reasons", "evidence",
        "champion_version", "as_of_day"}`` (``turbines``: those with an active
        detector of ``degrade_on``; ``reasons``: every active detector per turbine)
        and the last day's signals of every turbine.
    """
    computed = compute_signals(scored, readings, histograms, reference, params)
    signals = turbine_signals(computed)
    names = list(computed["signals"])
    since = computed["days"][-1] - pd.Timedelta(days=params["lookback_days"])
    reasons, evidence = {}, {}
    for _, row in signals.iterrows():
        active = [n for n in names if row[f"{n}.active"]]
        if not active:
            continue
        turbine = row["turbine_id"]
        reasons[turbine] = active
        evidence[turbine] = _evidence(row, names, reference)
        if "concept" in active:
            evidence[turbine]["concept"]["loss_by_bin"] = loss_by_bin(
                readings, turbine, since, params)
    named = sorted(t for t, active in reasons.items()
                   if {a.split(":")[0] for a in active} & set(params["degrade_on"]))
    report = {"degraded": bool(named), "turbines": named, "reasons": reasons,
              "evidence": evidence, "champion_version": int(reference["version"]),
              "as_of_day": computed["days"][-1].date().isoformat()}
    logger.info("degradation: %s", {k: report[k] for k in ("degraded", "turbines",
                                                             "reasons")})
    return report, signals


def _band_means(quality: pd.DataFrame) -> dict[str, dict]:
    """Quality per horizon band over ``quality``'s rows, weighted by rows."""
    out = {}
    for band, rows in quality.groupby("horizon_band"):
        n = rows["rows"]
        mean = {k: float((rows[k] * n).sum() / n.sum()) for k in (
            "mae_kw", "bias_kw", "mae_pct_rated", "baseline_mae_kw")}
        base = mean["baseline_mae_kw"]
        mean["skill"] = 1 - mean["mae_kw"] / base if base else 0.0
        for k in ("coverage_p10_p90", "persistence_mae_kw", "pinball_kw"):
            if k in rows and rows[k].notna().any():
                known = rows[k].notna()
                mean[k] = float((rows.loc[known, k] * n[known]).sum()
                                / n[known].sum())
        mean["rows"] = int(n.sum())
        out[str(band)] = mean
    return out


def summarise_monitoring(quality: pd.DataFrame, signals: pd.DataFrame,
                         report: dict) -> tuple[dict, dict, dict]:
    """Metrics, tags and summary of the monitoring run.

    Returns:
        Metrics (quality per horizon band of the champion over the window: the
        turbines' in ``band``, the farm total's in ``farm``; each turbine's
        signals, ``degraded``), tags (``windpower.champion_version``) and the
        summary for the orchestrator (free output): the degradation report plus
        ``quality`` and ``farm_quality`` per band, the input of
        ``emit_degradation_event``.
    """
    version = report["champion_version"]
    own = quality.loc[quality["model_version"] == version]
    # The farm total is not a turbine: its rows would count twice what the
    # turbines already hold, so it gets figures of its own.
    is_farm = own["turbine_id"] == FARM
    metrics: dict = {"degraded": int(report["degraded"]),
                     "turbines_degraded": len(report["turbines"]),
                     "band": _band_means(own.loc[~is_farm]),
                     "farm": _band_means(own.loc[is_farm])}
    metrics["turbine"] = {
        row["turbine_id"]: {k.replace(":", "_"): float(v) for k, v in row.items()
                            if k != "turbine_id" and not pd.isna(v)}
        for _, row in signals.iterrows()}
    tags = {"windpower.champion_version": version,
            "windpower.degraded": report["degraded"],
            "windpower.as_of_day": report["as_of_day"]}
    return metrics, tags, report | {"quality": metrics["band"],
                                    "farm_quality": metrics["farm"]}
