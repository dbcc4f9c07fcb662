"""Nodes of the training pipeline that draw the evidence (figures go to MLflow)."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402


def plot_power_curve(scored: pd.DataFrame, curve: dict, params: dict) -> Figure:
    """Holdout power vs normalised wind with the binned curve, per turbine."""
    fig, ax = plt.subplots(figsize=(8, 5))
    sample = scored.sample(min(len(scored), params["max_points"]), random_state=0)
    ax.scatter(sample["ws_norm"], sample["actual_kw"], s=2, alpha=0.2, c="grey",
               label="holdout (normal operation)")
    ax.scatter(sample["ws_norm"], sample["model_kw"], s=2, alpha=0.2, c="tab:orange",
               label="model")
    for tid, table in curve["curves"].items():
        ax.plot(curve["centres"], table, lw=1, label=f"binned curve {tid}")
    ax.set(xlabel="density-normalised wind speed (m/s)", ylabel="power (kW)",
           xlim=(0, 30))
    ax.legend(fontsize=6, markerscale=4)
    return fig


def plot_predicted_vs_actual(scored: pd.DataFrame, params: dict) -> Figure:
    """Model and baseline predictions against measured power on the holdout."""
    fig, ax = plt.subplots(figsize=(6, 6))
    sample = scored.sample(min(len(scored), params["max_points"]), random_state=0)
    ax.scatter(sample["actual_kw"], sample["baseline_kw"], s=2, alpha=0.2,
               label="binned curve")
    ax.scatter(sample["actual_kw"], sample["model_kw"], s=2, alpha=0.2, label="model")
    top = float(scored["rated_power_kw"].max())
    ax.plot([0, top], [0, top], "k--", lw=1)
    ax.set(xlabel="actual power (kW)", ylabel="predicted power (kW)")
    ax.legend(markerscale=4)
    return fig


def plot_error_by_bin(scored: pd.DataFrame, params: dict) -> Figure:
    """MAE of model and baseline per 1 m/s wind-speed bin."""
    bins = np.floor(scored["ws_norm"]).clip(upper=25)
    err = pd.DataFrame({
        "bin": bins, "model": (scored["model_kw"] - scored["actual_kw"]).abs(),
        "baseline": (scored["baseline_kw"] - scored["actual_kw"]).abs()})
    table = err.groupby("bin")[["model", "baseline"]].mean()
    fig, ax = plt.subplots(figsize=(8, 4))
    table.plot.bar(ax=ax)
    ax.set(xlabel="wind speed bin (m/s)", ylabel="MAE (kW)")
    return fig


def plot_reliability(reliability: pd.DataFrame) -> Figure:
    """Nominal against observed quantile coverage on the holdout (diagonal: ideal)."""
    fig, ax = plt.subplots(figsize=(5, 5))
    ax.plot([0, 1], [0, 1], "k--", lw=1, label="ideal")
    ax.plot(reliability["nominal"], reliability["observed"], "o-",
            label="model (conformal by turbine and wind bin)")
    ax.set(xlabel="nominal quantile level",
           ylabel="observed share of holdout rows below", xlim=(0, 1),
           ylim=(0, 1), title="Reliability of the power quantiles (holdout)")
    ax.legend()
    return fig
