"""In-process figures: training throughput and inference scoring.

Each size gets a throwaway copy of the project (the real conf/base, predictions in
memory) with generated inputs given by SCADA_PATH / TURBINES_PATH / FORECAST_PATH
and a temporary sqlite MLflow store, as the pipeline tests do.
"""

from __future__ import annotations

import os
import resource
import shutil
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import mlflow
import pandas as pd
import yaml
from common import ROOT, Figure, load, median, spread
from kedro.framework.hooks import hook_impl
from kedro.framework.session import KedroSession
from kedro.framework.startup import bootstrap_project

from windpower.demo_farm import DemoFarm

sys.path.insert(0, str(ROOT))  # the tests' project copy helpers
from tests.project_copy import use_file_inputs  # noqa: E402
from windpower.model_inputs import model_input

N_TURBINES = 6  # the demo farm
ROWS_PER_DAY = 144 * N_TURBINES
END = "2026-11-01T00:00Z"
TRAIN_TARGET_S = 60.0
SCORE_TARGET = 200_000


class NodeTimer:
    """Kedro hook: wall time of every node (and dataset load) of the runs it is
    registered on, and how much each raised the process's peak memory (MiB)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.peak_rise_mib: dict[str, float] = defaultdict(float)
        self._start: dict[str, tuple[float, float]] = {}

    def _begin(self, name: str) -> None:
        self._start[name] = (time.perf_counter(), _peak_mib())

    def _end(self, name: str) -> None:
        start, peak = self._start.pop(name)
        self.seconds[name] += time.perf_counter() - start
        self.peak_rise_mib[name] += _peak_mib() - peak

    @hook_impl
    def before_node_run(self, node) -> None:
        self._begin(node.name)

    @hook_impl
    def after_node_run(self, node) -> None:
        self._end(node.name)

    @hook_impl
    def before_dataset_loaded(self, dataset_name: str) -> None:
        self._begin(f"load {dataset_name}")

    @hook_impl
    def after_dataset_loaded(self, dataset_name: str) -> None:
        self._end(f"load {dataset_name}")


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def parse_size(text: str) -> int:
    """``100k`` / ``1.6M`` / ``4032`` to a row count."""
    scale = {"k": 1_000, "m": 1_000_000}.get(text[-1].lower(), 1)
    return int(float(text[:-1] if scale > 1 else text) * scale)


def make_project(tmp: Path, rows: int) -> int:
    """Project copy and inputs of about ``rows`` SCADA rows; returns the exact count."""
    root = tmp / "project"
    shutil.copytree(ROOT / "conf" / "base", root / "conf" / "base")
    (root / "conf" / "local").mkdir()
    (root / "src").mkdir()  # the package itself is installed
    shutil.copy(ROOT / "pyproject.toml", root / "pyproject.toml")
    catalog = root / "conf" / "base" / "catalog.yml"
    # Inputs from the generated files through the data contract, as the pipeline
    # tests read them: no database needed.
    use_file_inputs(catalog)
    text = catalog.read_text()
    memory = {"power_predictions": {"type": "kedro.io.MemoryDataset"}}
    catalog.write_text(text[:text.index("power_predictions:")] + yaml.safe_dump(memory))
    frames = DemoFarm(seed=42, n_turbines=N_TURBINES).dataset(
        END, days=max(rows // ROWS_PER_DAY, 1), forecast_hours=48)
    inputs = tmp / "inputs"
    inputs.mkdir()
    frames["scada"].to_parquet(inputs / "scada.parquet", index=False)
    frames["turbines"].to_csv(inputs / "turbines.csv", index=False)
    frames["forecast"].to_parquet(inputs / "forecast.parquet", index=False)
    os.environ |= {"SCADA_PATH": str(inputs / "scada.parquet"),
                   "TURBINES_PATH": str(inputs / "turbines.csv"),
                   "FORECAST_PATH": str(inputs / "forecast.parquet"),
                   "KEDRO_DISABLE_TELEMETRY": "1"}
    use_store(tmp)
    bootstrap_project(root)
    return len(frames["scada"])


def use_store(tmp: Path) -> None:
    """A fresh sqlite MLflow store under ``tmp`` (artifacts there too)."""
    os.chdir(tmp)
    mlflow.set_tracking_uri(f"sqlite:///{tmp / 'mlflow.db'}")
    os.environ.pop("MLFLOW_EXPERIMENT_ID", None)
    mlflow.tracking.fluent._active_experiment_id = None
    mlflow.MlflowClient().search_experiments()  # creates the schema, untimed


def run_pipeline(tmp: Path, pipeline: str, timer: NodeTimer | None = None) -> float:
    """Seconds of one ``session.run`` of ``pipeline`` on the project under ``tmp``."""
    with KedroSession.create(project_path=tmp / "project") as session:
        if timer is not None:
            session._hook_manager.register(timer)
        start = time.perf_counter()
        session.run(pipeline_names=[pipeline])
        return time.perf_counter() - start


def _size_run(size: str, repeat: int) -> tuple[int, list[float], NodeTimer]:
    with tempfile.TemporaryDirectory(prefix="wpbench-") as tmp:
        rows = make_project(Path(tmp), parse_size(size))
        timer = NodeTimer()
        times = [run_pipeline(Path(tmp), "__default__", timer) for _ in range(repeat)]
        os.chdir(ROOT)
    return rows, times, timer


def training(sizes: list[str], repeat: int) -> list[Figure]:
    """data_processing + training (``__default__``) per size, median of ``repeat``."""
    results = {}
    for size in sizes:
        rows, times, timer = _size_run(size, repeat)
        top = sorted(timer.seconds.items(), key=lambda kv: -kv[1])[:5]
        nodes = ", ".join(f"{name} {sec / repeat:.1f} s" for name, sec in top)
        results[size] = (rows, times, nodes, load())
        print(f"  training {size}: {rows} rows, {spread(times)}", flush=True)
    figures = []
    for size, (rows, times, nodes, measured_load) in results.items():
        sec = median(times)
        met = sec <= TRAIN_TARGET_S if parse_size(size) == 400_000 else None
        figures.append(Figure(
            f"training throughput, {size} rows",
            f"{sec:.1f} s ({rows / sec:,.0f} rows/s)",
            "≤ 60 s at 400k" if met is not None else "(see growth)", met,
            [f"{rows:,} SCADA rows: {spread(times)}", f"slowest nodes (mean): {nodes}"],
            measured_load))
    figures.append(growth(results))
    return figures


def growth(results: dict) -> Figure:
    """Time ratio against row ratio between consecutive sizes: linear or better?"""
    steps, ok = [], True
    items = list(results.values())
    for (r0, t0, *_), (r1, t1, *_) in zip(items, items[1:]):
        time_ratio, row_ratio = median(t1) / median(t0), r1 / r0
        ok &= time_ratio <= row_ratio
        steps.append(f"x{time_ratio:.2f} time for x{row_ratio:.2f} rows")
    return Figure("training cost growth", "; ".join(steps) or "one size only",
                  "no worse than linear", ok if steps else None)


def _scoring_frames(rows_list: list[int]) -> list[pd.DataFrame]:
    """Forecast input of 4 turbines (T01-T04), ``rows`` rows each, as the inference
    pipeline sends it (``model_input``: naive UTC timestamps).

    The demo farm's 48 h forecasts issued back to back: one continuous stretch of
    time, each (timestamp, turbine) once. Sent without ``issued_at``, they take
    the power curve's path, as the recorded scoring figures always have.
    """
    farm = DemoFarm(seed=7, n_turbines=N_TURBINES)
    frames = []
    for rows in rows_list:
        issues = pd.date_range(END, periods=-(-rows // (4 * 288)), freq="48h")
        forecast = farm.weather_forecasts(issues, hours=48).drop(columns="issued_at")
        four = forecast[forecast["turbine_id"].isin(["T01", "T02", "T03", "T04"])]
        frames.append(model_input(four.head(rows)).reset_index(drop=True))
    return frames


def scoring(rows_list: list[int], repeat: int) -> list[Figure]:
    """pyfunc ``predict`` of the registered champion, already loaded."""
    with tempfile.TemporaryDirectory(prefix="wpbench-") as tmp:
        make_project(Path(tmp), 100_000)
        run_pipeline(Path(tmp), "__default__")
        model = mlflow.pyfunc.load_model("models:/windpower@champion")
        figures = []
        for frame in _scoring_frames(rows_list):
            model.predict(frame)  # warm-up
            n = max(repeat, 10) if len(frame) < 100_000 else repeat
            times = []
            for _ in range(n):
                start = time.perf_counter()
                model.predict(frame)
                times.append(time.perf_counter() - start)
            rate = len(frame) / median(times)
            print(f"  scoring {len(frame)} rows: {rate:,.0f} rows/s", flush=True)
            figures.append(Figure(
                f"inference scoring, {len(frame):,} rows", f"{rate:,.0f} rows/s",
                "≥ 200,000 rows/s", rate >= SCORE_TARGET,
                [f"{len(frame):,} rows: {spread(times, 's', 3)}"], load()))
        os.chdir(ROOT)
    return figures
