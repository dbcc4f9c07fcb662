"""The forecast judged as it was issued: per lead-time band, against baselines.

Every held-out issue is scored as the platform would have served it (the served
model's own input: the forecast as issued and what was measured at issue time),
against three baselines: persistence (the power measured at issue time),
climatology (each turbine's mean power over the training window) and the binned
curve on the forecast wind. Scored on every measured target, stoppages included:
what a user compares a forecast with.
"""

import numpy as np
import pandas as pd

from windpower.forecast_model import (
    AT_ISSUE_COLUMNS,
    INPUT_COLUMNS,
    curve_at,
    lead_band,
    pinball,
    predict_quantiles,
)

LEVELS = (0.1, 0.5, 0.9)
SCORED_COLUMNS = ["issued_at", "timestamp", "lead_h", "rated_kw", "actual_kw",
                  "p10_kw", "p50_kw", "p90_kw", "persistence_kw", "climatology_kw",
                  "curve_kw"]


def forecast_input(pairs: pd.DataFrame) -> pd.DataFrame:
    """The served model's input for forecast pairs: as issued, at-issue columns."""
    columns = ["issued_at", *INPUT_COLUMNS] + [c for c in AT_ISSUE_COLUMNS
                                               if c in pairs]
    return pairs[columns]


def band_names(edges_h: list[float]) -> list[str]:
    """``[0, 6, 24, 48]`` -> ``["0-6h", "6-24h", "24-48h"]``."""
    return [f"{a:g}-{b:g}h" for a, b in zip(edges_h[:-1], edges_h[1:])]


def scored_pairs(bundle: dict, pairs: pd.DataFrame, turbines: pd.DataFrame,
                 quantiles: dict[float, np.ndarray] | None = None) -> pd.DataFrame:
    """Each measured held-out pair with the model's P10/P50/P90 and the baselines.

    Args:
        bundle: The model bundle to judge.
        pairs: Forecast pairs (``build_forecast_pairs``) of held-out issues.
        turbines: Validated turbine table (rated power, hub height).
        quantiles: ``predict_quantiles`` of ``pairs`` if already scored.

    Returns:
        One row per measured target: ``issued_at``, ``timestamp``, ``lead_h``,
        ``rated_kw``, ``actual_kw``, ``p10_kw``, ``p50_kw``, ``p90_kw``,
        ``persistence_kw``, ``climatology_kw``, ``curve_kw``.
    """
    rows = pairs.loc[pairs["power_kw"].notna()]
    q = quantiles if quantiles is not None else predict_quantiles(
        bundle, forecast_input(pairs), levels=(0.1, 0.9))
    at = pairs.index.get_indexer(rows.index)
    meta = turbines.set_index("turbine_id")
    ids = rows["turbine_id"].astype(str)
    rated = ids.map(meta["rated_power_kw"]).to_numpy(float)
    climate = ids.map(bundle.get("climatology_kw", {})).to_numpy(float)
    persistence = rows.get("power_at_issue_kw", pd.Series(np.nan, rows.index))
    return pd.DataFrame({
        "issued_at": rows["issued_at"].to_numpy(),
        "timestamp": rows["timestamp"].to_numpy(),
        "lead_h": ((rows["timestamp"] - rows["issued_at"]).dt.total_seconds()
                   / 3600).to_numpy(),
        "rated_kw": rated, "actual_kw": rows["power_kw"].to_numpy(float),
        "p10_kw": q[0.1][at], "p50_kw": q[0.5][at], "p90_kw": q[0.9][at],
        # No reading at issue: persistence knows nothing better than climatology.
        "persistence_kw": persistence.fillna(pd.Series(climate, rows.index)
                                             ).to_numpy(float),
        "climatology_kw": climate,
        "curve_kw": curve_at(bundle["lookup"]["curve"], ids.to_numpy(),
                             rows["wind_speed"].to_numpy(float),
                             rows["ambient_temperature"].to_numpy(float),
                             ids.map(meta["hub_height_m"]).to_numpy(float))})


def skill_table(scored: pd.DataFrame, edges_h: list[float]) -> pd.DataFrame:
    """Per lead-time band (``edges_h``): rows, MAE, NMAE (% of rated), bias, RMSE,
    pinball loss of P10/P50/P90, P10-P90 coverage and width, and each baseline's
    MAE with the model's skill against it (1 - MAE / baseline MAE)."""
    band = pd.Series(np.asarray(band_names(edges_h))[lead_band(
        scored["lead_h"].to_numpy(), edges_h)], index=scored.index)
    actual, p50 = scored["actual_kw"], scored["p50_kw"]
    err = p50 - actual
    parts = pd.DataFrame({
        "band": band, "rows": 1, "mae_kw": err.abs(), "bias_kw": err,
        "sq": err**2, "nmae_pct": 100 * err.abs() / scored["rated_kw"],
        "pinball_kw": sum(pinball(actual, scored[f"p{int(lv * 100)}_kw"], lv)
                          for lv in LEVELS) / len(LEVELS),
        "coverage_p10_p90": ((scored["p10_kw"] <= actual)
                             & (actual <= scored["p90_kw"])).astype(float),
        "width_kw": scored["p90_kw"] - scored["p10_kw"],
        **{f"{b}_mae_kw": (scored[f"{b}_kw"] - actual).abs()
           for b in ("persistence", "climatology", "curve")}})
    table = parts.groupby("band", sort=False).agg(
        {c: "sum" if c == "rows" else "mean" for c in parts.columns if c != "band"})
    table["rmse_kw"] = np.sqrt(table.pop("sq"))
    for b in ("persistence", "climatology", "curve"):
        table[f"skill_vs_{b}"] = 1 - table["mae_kw"] / table[f"{b}_mae_kw"]
    order = [b for b in band_names(edges_h) if b in table.index]
    return table.loc[order]


def evaluate_forecasts(bundle: dict, holdout_pairs: pd.DataFrame,
                       turbines: pd.DataFrame, params: dict
                       ) -> tuple[dict, pd.DataFrame, dict, pd.DataFrame]:
    """Judge the model as it forecasts, on held-out issues.

    Args:
        bundle: Trained model bundle.
        holdout_pairs: Forecast pairs of the held-out issues.
        turbines: Validated turbine table.
        params: Training parameters (``forecaster.band_edges_h``).

    Returns:
        Flat metrics (``lead_<band>_<metric>``, for MLflow), the reliability table
        (``nominal``, ``observed``), the report (the per-band table, a finer
        per-3-hour table and what the model was trained on) and the scored rows
        (``scored_pairs``: the farm band's calibration reuses them rather than
        scoring the issues again).
    """
    edges = list(params["forecaster"]["band_edges_h"])
    report = {"training_input": bundle.get("training_input", "measured wind"),
              "issues": int(holdout_pairs["issued_at"].nunique())
              if len(holdout_pairs) else 0}
    if holdout_pairs["power_kw"].notna().sum() == 0:
        return ({}, pd.DataFrame({"nominal": [], "observed": []}), report,
                pd.DataFrame(columns=SCORED_COLUMNS))
    quantiles = predict_quantiles(bundle, forecast_input(holdout_pairs))
    scored = scored_pairs(bundle, holdout_pairs, turbines, quantiles)
    table = skill_table(scored, edges)
    metrics = {f"lead_{band.replace('-', '_')}_{name}": float(value)
               for band, row in table.iterrows() for name, value in row.items()}
    fine = skill_table(scored, list(range(0, int(edges[-1]) + 1, 3)))
    report |= {"bands": table.round(4).to_dict("index"),
               "by_3h": fine[["rows", "mae_kw", "persistence_mae_kw", "curve_mae_kw",
                              "coverage_p10_p90"]].round(4).to_dict("index")}
    return metrics, reliability(quantiles, holdout_pairs), report, scored


def reliability(q: dict[float, np.ndarray], pairs: pd.DataFrame) -> pd.DataFrame:
    """Share of measured targets below each quantile level (ties count half)."""
    rows = pairs.loc[pairs["power_kw"].notna()]
    at = pairs.index.get_indexer(rows.index)
    actual = rows["power_kw"].to_numpy(float)
    levels = sorted(q)
    return pd.DataFrame({"nominal": levels, "observed": [
        float(np.mean((actual < q[lv][at]) + 0.5 * (actual == q[lv][at])))
        for lv in levels]})


def training_input_tags(bundle: dict) -> dict[str, str]:
    """MLflow tags that say what the forecaster learnt from (or that it fell back)."""
    return {"training_input": bundle.get("training_input", "measured wind"),
            "forecaster": "yes" if bundle.get("forecaster") else "no (fallback)"}
