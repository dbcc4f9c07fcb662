"""Scoring speed of the loaded pyfunc per timestamp form, and what P10/P90 cost.

  python benchmarks/scoring_forms.py [--rows 4032,1M] [--repeat 5]

Trains the conf/base model on 100 days of the demo farm with the project's nodes,
logs and loads it through a temporary sqlite MLflow store, then times
``model.predict`` (median of ``repeat``) on the benchmark's forecast batches sent
as naive UTC, zone-aware and ISO-8601 strings. For the interval method it also
times P50 alone against P50 + conformal P10/P90, and the two extra tree
ensembles that quantile models would add (timed as two more predictions of an
estimator of the same size).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "passive")

import mlflow  # noqa: E402
import numpy as np  # noqa: E402
from accuracy import params  # noqa: E402
from common import load, median  # noqa: E402
from inprocess import _scoring_frames, parse_size, use_store  # noqa: E402

from windpower import forecast_model  # noqa: E402
from windpower.datasets.registry import RegisteredModelDataset  # noqa: E402
from windpower.demo_farm import DemoFarm  # noqa: E402
from windpower.pipelines.data_processing import nodes as dp  # noqa: E402
from windpower.pipelines.training import nodes  # noqa: E402


def bundle() -> dict:
    p, tp = params("data_processing"), params("training")
    p["as_of"] = "2026-11-01T00:00Z"
    raw = DemoFarm(seed=42, n_turbines=6).dataset(p["as_of"], days=100,
                                                  forecast_hours=1)
    turbines = dp.validate_turbines(raw["turbines"])
    valid, _, _ = dp.validate_readings(raw["scada"], turbines, p)
    table = dp.build_model_input(dp.flag_operation(valid, turbines, p), turbines, p)
    curve = nodes.fit_baseline(table, tp)
    return nodes.train_model(table, curve, turbines, tp, p["features"])


def timed(func, repeat: int) -> float:
    """Median wall seconds of ``func``; CPU seconds too in ``CPU`` (last call)."""
    func()  # warm-up
    times, cpu = [], []
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        func()
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    CPU[0] = median(cpu)
    return median(times)


CPU = [0.0]  # on a shared box, CPU time is the figure the load disturbs least


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", default="4032,1M")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    trained = bundle()
    with tempfile.TemporaryDirectory() as tmp:
        use_store(Path(tmp))
        frames = _scoring_frames([parse_size(s) for s in args.rows.split(",")])
        with mlflow.start_run():
            RegisteredModelDataset("windpower").save({
                "bundle": trained, "alias": "champion",
                "input_example": frames[0].head(24)})
        model = mlflow.pyfunc.load_model("models:/windpower@champion")
        for frame in frames:
            n = len(frame)
            utc = frame["timestamp"].dt.tz_localize("UTC")
            forms = {"naive UTC": frame,
                     "aware (Europe/Paris)": frame.assign(
                         timestamp=utc.dt.tz_convert("Europe/Paris")),
                     "ISO-8601 strings": frame.assign(
                         timestamp=utc.dt.strftime("%Y-%m-%dT%H:%M:%S+00:00"))}
            for name, batch in forms.items():
                sec = timed(lambda b=batch: model.predict(b), args.repeat)
                print(f"pyfunc {n:>9,} rows, {name:<22} {n / sec:>12,.0f} rows/s "  # noqa: T201
                      f"({sec * 1000:.1f} ms wall, {n / CPU[0]:,.0f} rows per CPU "
                      f"second, load {load()})")
            p50 = timed(lambda: forecast_model.predict_power(trained, frame),
                        args.repeat)
            full = timed(lambda: forecast_model.predict_frame(trained, frame),
                         args.repeat)
            matrix = np.random.default_rng(0).random((n, len(trained["features"])))
            trees = timed(lambda: trained["estimator"].predict(matrix), args.repeat)
            print(f"  {n:,} rows: P50 only {p50 * 1000:.1f} ms, P50+conformal "  # noqa: T201
                  f"P10/P90 {full * 1000:.1f} ms, one tree ensemble {trees * 1000:.1f} "
                  f"ms (quantile models: ~{(p50 + 2 * trees) * 1000:.1f} ms)")
        os.chdir("/")


if __name__ == "__main__":
    main()
