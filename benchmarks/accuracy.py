"""Point and interval accuracy of the training configuration, judged robustly.

  python benchmarks/accuracy.py                       conf/base, seeds 42 7 123
  python benchmarks/accuracy.py --set estimator.max_iter=80 --set ...

For each seed of the demo farm (400 days, 6 turbines, as the ingest's default)
and each fold (the pipeline's own last-60-days holdout, then whole calendar
months held out with training on all the other months), it fits the binned
curve and the model with the project's training nodes and reports, on the
normal-operation rows of the held-out period: model MAE, binned-curve MAE,
skill, and the P10-P90 interval's coverage and mean width. A change is judged
on the mean over seeds and folds, not on one holdout's last decimal.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "passive")

import pandas as pd  # noqa: E402
import yaml  # noqa: E402
from common import ROOT, load  # noqa: E402

from windpower.demo_farm import DemoFarm  # noqa: E402
from windpower.pipelines.data_processing import nodes as dp  # noqa: E402
from windpower.pipelines.training import evaluation, nodes  # noqa: E402

END = "2026-11-01T00:00Z"
MONTHS = ("2026-01", "2026-04", "2026-07")


def params(pipeline: str) -> dict:
    path = ROOT / "conf" / "base" / f"parameters_{pipeline}.yml"
    return yaml.safe_load(path.read_text())[pipeline]


def model_table(seed: int, cache: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Turbines and the data_processing model-input table of one seed (cached)."""
    table_path, turb_path = cache / f"table_{seed}.parquet", cache / f"turb_{seed}.pq"
    if not table_path.exists():
        p = params("data_processing")
        p["as_of"] = END
        raw = DemoFarm(seed=seed, n_turbines=6).dataset(END, days=400)
        turbines = dp.validate_turbines(raw["turbines"])
        valid, _, _ = dp.validate_readings(raw["scada"], turbines, p)
        flagged = dp.flag_operation(valid, turbines, p)
        dp.build_model_input(flagged, turbines, p).to_parquet(table_path)
        turbines.to_parquet(turb_path)
    return pd.read_parquet(table_path), pd.read_parquet(turb_path)


def folds(table: pd.DataFrame) -> dict[str, tuple[pd.DataFrame, pd.DataFrame]]:
    """The pipeline's own split, then each of ``MONTHS`` held out whole."""
    out = {"last60d": dp.split_by_time(table, params("data_processing"))}
    month = table["timestamp"].dt.tz_convert("UTC").dt.strftime("%Y-%m")
    for name in MONTHS:
        test = (month == name).to_numpy()
        out[name] = (table.loc[~test].reset_index(drop=True),
                     table.loc[test].reset_index(drop=True))
    return out


def run_fold(train, holdout, turbines, tp: dict) -> dict:
    start = time.perf_counter()
    curve = nodes.fit_baseline(train, tp)
    bundle = nodes.train_model(train, curve, turbines, tp,
                               params("data_processing")["features"])
    seconds = time.perf_counter() - start
    metrics, _ = evaluation.evaluate_models(bundle, curve, holdout, {})
    if "intervals" in bundle:
        metrics |= evaluation.evaluate_intervals(bundle, holdout)[0]
    keep = ("model_mae", "baseline_mae", "skill_mae", "holdout_coverage_p10_p90",
            "holdout_coverage_p10_p90_unclipped", "holdout_interval_width_kw")
    return {k: metrics[k] for k in keep if k in metrics} | {"fit_s": seconds}


def override(tp: dict, assignments: list[str]) -> dict:
    """``a.b=value`` (YAML value) into the training parameters."""
    for item in assignments:
        key, value = item.split("=", 1)
        *path, last = key.split(".")
        target = tp
        for part in path:
            target = target[part]
        target[last] = yaml.safe_load(value)
    return tp


def compare(before: Path, after: Path) -> str:
    """Markdown table of two runs' ``--out`` files, fold by fold, then means."""
    old, new = (pd.read_json(p, lines=True).set_index(["seed", "fold"])
                for p in (before, after))
    rows = ["| seed | holdout | MAE before (kW) | MAE after (kW) | change | skill "
            "before | skill after | P10-P90 coverage | unclipped | mean width (kW) |",
            "|---|---|---|---|---|---|---|---|---|---|"]
    for key in new.index:
        o, n = old.loc[key], new.loc[key]
        rows.append(f"| {key[0]} | {key[1]} | {o.model_mae:.2f} | {n.model_mae:.2f} | "
                    f"{100 * (n.model_mae / o.model_mae - 1):+.1f} % | "
                    f"{o.skill_mae:.3f} | {n.skill_mae:.3f} | "
                    f"{n.holdout_coverage_p10_p90:.3f} | "
                    f"{n.holdout_coverage_p10_p90_unclipped:.3f} | "
                    f"{n.holdout_interval_width_kw:.1f} |")
    o, n = old.loc[new.index].mean(numeric_only=True), new.mean(numeric_only=True)
    rows.append(f"| all | mean | {o.model_mae:.2f} | {n.model_mae:.2f} | "
                f"{100 * (n.model_mae / o.model_mae - 1):+.1f} % | {o.skill_mae:.3f} | "
                f"{n.skill_mae:.3f} | {n.holdout_coverage_p10_p90:.3f} | "
                f"{n.holdout_coverage_p10_p90_unclipped:.3f} | "
                f"{n.holdout_interval_width_kw:.1f} |")
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", default="42,7,123")
    parser.add_argument("--folds", default="last60d," + ",".join(MONTHS))
    parser.add_argument("--set", action="append", default=[])
    parser.add_argument("--label", default="conf/base")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/wp-accuracy"))
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--compare", type=Path, nargs=2, default=None,
                        metavar=("BEFORE", "AFTER"), help="print a table, run nothing")
    args = parser.parse_args()
    if args.compare:
        print(compare(*args.compare))  # noqa: T201
        return
    args.cache.mkdir(parents=True, exist_ok=True)
    rows = []
    for seed in (int(s) for s in args.seeds.split(",")):
        table, turbines = model_table(seed, args.cache)
        for fold, (train, holdout) in folds(table).items():
            if fold not in args.folds.split(","):
                continue
            tp = override(params("training"), args.set)
            result = {"seed": seed, "fold": fold} | run_fold(train, holdout,
                                                             turbines, tp)
            rows.append(result)
            print(json.dumps(result), flush=True)  # noqa: T201
    frame = pd.DataFrame(rows)
    summary = frame.drop(columns="fold").groupby("seed").mean()
    summary.loc["mean"] = frame.drop(columns=["fold", "seed"]).mean()
    print(f"{args.label} (load {load()}):\n{summary.round(4)}")  # noqa: T201
    if args.out:
        frame.assign(label=args.label).to_json(args.out, orient="records", lines=True)


if __name__ == "__main__":
    main()
