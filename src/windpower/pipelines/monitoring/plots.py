"""Nodes that draw what a forecaster looks at first (figures go to MLflow)."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402


def latest_forecast(scored: pd.DataFrame, version: int, days: int) -> pd.DataFrame:
    """The champion's freshest forecast of each (turbine, time) in the last days:
    the one with the shortest horizon, i.e. what the desk had last."""
    rows = scored.loc[scored["model_version"] == version]
    if rows.empty:
        return rows
    rows = rows.loc[rows["timestamp"] > rows["timestamp"].max() - pd.Timedelta(
        days=days)]
    rows = rows.sort_values(["turbine_id", "timestamp", "horizon_minutes"])
    return rows.drop_duplicates(["turbine_id", "timestamp"], keep="first")


def plot_forecast_vs_actual(scored: pd.DataFrame, report: dict, params: dict
                            ) -> Figure:
    """Per turbine: P50 (with the P10-P90 band when present) against actual power.

    At most ``max_turbines`` panels (a fleet's 200 would be unreadable and slow):
    the degraded turbines first, then those with the largest error.
    """
    rows = latest_forecast(scored, report["champion_version"], params["days"])
    total = rows["turbine_id"].nunique()
    turbines = _worst_turbines(rows, report["turbines"], params["max_turbines"])
    rows = rows.loc[rows["turbine_id"].isin(turbines)]
    shown = len(turbines)
    turbines = turbines or ["(no data)"]
    fig, axes = plt.subplots(len(turbines), 1, figsize=(11, 2.2 * len(turbines)),
                             sharex=True, squeeze=False)
    for ax, turbine in zip(axes[:, 0], turbines, strict=True):
        own = rows.loc[rows["turbine_id"] == turbine]
        if own[["p10_kw", "p90_kw"]].notna().all(axis=None) and len(own):
            ax.fill_between(own["timestamp"], own["p10_kw"], own["p90_kw"],
                            color="tab:blue", alpha=0.2, label="P10-P90")
        ax.plot(own["timestamp"], own["predicted_kw"], lw=1, label="forecast (P50)")
        ax.plot(own["timestamp"], own["actual_kw"], lw=1, c="k", label="actual")
        flag = " DEGRADED" if turbine in report["turbines"] else ""
        ax.set_title(f"{turbine}{flag}", fontsize=9, loc="left")
        ax.set_ylabel("kW")
    axes[0, 0].legend(fontsize=7, loc="upper right")
    title = (f"model version {report['champion_version']}: latest forecast "
             "against actual power")
    if shown < total:
        title += f" ({shown} of {total} turbines: degraded, then largest error)"
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def _worst_turbines(rows: pd.DataFrame, degraded: list[str], limit: int
                    ) -> list[str]:
    """Up to ``limit`` turbines: the degraded ones, then by MAE (largest first);
    in name order on the figure."""
    mae = (rows["predicted_kw"] - rows["actual_kw"]).abs().groupby(
        rows["turbine_id"], observed=True).mean().sort_values(ascending=False)
    chosen = [t for t in degraded if t in mae.index]
    chosen += [t for t in mae.index if t not in chosen]
    return sorted(chosen[:limit])


def plot_error_by_horizon(scored: pd.DataFrame, report: dict) -> Figure:
    """MAE of the champion and of its binned curve per hour of forecast horizon."""
    rows = scored.loc[scored["model_version"] == report["champion_version"]]
    hour = rows["horizon_minutes"] // 60
    table = pd.DataFrame({
        "model": rows["error_kw"].abs().to_numpy(),
        "binned curve": (rows["baseline_kw"] - rows["actual_kw"]).abs().to_numpy(),
        "hour": hour.to_numpy()}).groupby("hour").mean()
    fig, ax = plt.subplots(figsize=(8, 4))
    for column in ("model", "binned curve"):
        ax.plot(table.index, table[column], marker=".", label=column)
    ax.set(xlabel="forecast horizon (h)", ylabel="MAE (kW)",
           xticks=np.arange(0, 49, 6))
    ax.legend()
    return fig
