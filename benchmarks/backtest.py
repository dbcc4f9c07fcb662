"""Backtest: replay the issues of N days, each scored by a model that saw only
what existed at its issue time.

  python benchmarks/backtest.py                        seeds 42 7 123, 28 days
  python benchmarks/backtest.py --seeds 42 --days 14 --docs docs/accuracy.md

For each seed of the demo farm (readings and weather forecasts as issued, pure
functions of (seed, time)), the replay marches in steps of ``--retrain-days``:
at each step a model is trained with the project's own nodes on the year before
it (readings, and forecasts issued before it with the power measured before it),
then scores every issue of the step as the platform serves it (the forecast as
issued, what was measured before the issue). Two rows per band:

- ``measured-wind model``: the power curve learnt from measured wind, applied to
  the weather forecast, with its measured-wind bands: what main served before the
  forecaster (the same bundle without its forecaster);
- ``forecaster``: the model trained on forecasts as issued;
- ``forecaster, archive alone``: the same model given the weather forecast only,
  without what was measured at issue (a weather-model archive scored offline, or
  a feed that stopped).
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("OMP_WAIT_POLICY", "passive")

import pandas as pd  # noqa: E402
import yaml  # noqa: E402
from common import ROOT, commit, load, write_block  # noqa: E402

from windpower.demo_farm.farm import DemoFarm, forecast_issue_times  # noqa: E402
from windpower.forecast_model import AT_ISSUE_COLUMNS, predict_quantiles  # noqa: E402
from windpower.pipelines.data_processing import nodes as dp  # noqa: E402
from windpower.pipelines.training import forecast_skill, nodes  # noqa: E402

END = pd.Timestamp("2026-11-01T00:00Z")


def params(pipeline: str) -> dict:
    path = ROOT / "conf" / "base" / f"parameters_{pipeline}.yml"
    return yaml.safe_load(path.read_text())[pipeline]


def train_at(farm: DemoFarm, start: pd.Timestamp, history_days: int,
             readings: pd.DataFrame, archive: pd.DataFrame) -> dict:
    """A model trained at ``start`` on what existed then (the year before it)."""
    dpp, tp = params("data_processing"), params("training")
    dpp["as_of"] = start.isoformat()
    since = start - pd.Timedelta(days=history_days)
    turbines = dp.validate_turbines(farm.turbines())
    seen = readings.loc[(readings["timestamp"] >= since)
                        & (readings["timestamp"] < start)].reset_index(drop=True)
    valid, _, _ = dp.validate_readings(seen, turbines, dpp)
    flagged = dp.flag_operation(valid, turbines, dpp)
    table = dp.build_model_input(flagged, turbines, dpp)
    issued = archive.loc[(archive["issued_at"] >= since)
                         & (archive["issued_at"] < start)].reset_index(drop=True)
    pairs = dp.build_forecast_pairs(issued, flagged, turbines, dpp)
    curve = nodes.fit_baseline(table, tp)
    bundle = nodes.train_model(table, curve, turbines, tp, dpp["features"], pairs)
    return bundle | {"turbines": turbines}


def replay(seed: int, days: int, retrain_days: int, history_days: int,  # noqa: PLR0913, PLR0917
           end: pd.Timestamp = END, gap_days: int = 0) -> dict[str, pd.DataFrame]:
    """Scored rows of every issue in the ``days`` before ``end``, per model kind."""
    farm = DemoFarm(seed=seed)
    first = end - pd.Timedelta(days=days)
    begin = first - pd.Timedelta(days=history_days + gap_days)
    readings = farm.readings(begin, end)
    readings["timestamp"] = pd.to_datetime(readings["timestamp"], utc=True)
    archive = farm.weather_forecasts(forecast_issue_times(begin, end), 48)
    scored = {"measured-wind model": [], "forecaster": [],
              "forecaster, archive alone": []}
    dpp = params("data_processing")
    dpp["as_of"] = end.isoformat()
    for step in pd.date_range(first, end, freq=f"{retrain_days}D", inclusive="left"):
        started = time.perf_counter()
        bundle = train_at(farm, step - pd.Timedelta(days=gap_days), history_days,
                          readings, archive)
        turbines = bundle.pop("turbines")
        stop = min(step + pd.Timedelta(days=retrain_days), end)
        issues = archive.loc[(archive["issued_at"] >= step)
                             & (archive["issued_at"] < stop)].reset_index(drop=True)
        valid, _, _ = dp.validate_readings(readings, turbines, dpp)
        flagged = dp.flag_operation(valid, turbines, dpp)
        pairs = dp.build_forecast_pairs(issues, flagged, turbines, dpp)
        scored["forecaster"].append(forecast_skill.scored_pairs(bundle, pairs,
                                                                turbines))
        scored["measured-wind model"].append(forecast_skill.scored_pairs(
            bundle | {"forecaster": None}, pairs, turbines))
        alone = forecast_skill.forecast_input(pairs).drop(columns=AT_ISSUE_COLUMNS,
                                                          errors="ignore")
        scored["forecaster, archive alone"].append(forecast_skill.scored_pairs(
            bundle, pairs, turbines, predict_quantiles(bundle, alone,
                                                       levels=(0.1, 0.9))))
        print(f"seed {seed}: issues from {step:%Y-%m-%d} scored "  # noqa: T201
              f"({time.perf_counter() - started:.0f} s)", flush=True)
    return {k: pd.concat(v, ignore_index=True) for k, v in scored.items()}


def markdown(tables: dict[tuple[int, str], pd.DataFrame]) -> str:
    columns = ["mae_kw", "nmae_pct", "bias_kw", "pinball_kw", "coverage_p10_p90",
               "persistence_mae_kw", "curve_mae_kw", "climatology_mae_kw",
               "skill_vs_persistence", "skill_vs_curve"]
    lines = ["| seed | model | band | " + " | ".join(columns) + " |",
             "|" + "---|" * (len(columns) + 3)]
    for (seed, kind), table in tables.items():
        for band, row in table.iterrows():
            cells = " | ".join(f"{row[c]:.3f}" if "skill" in c or "coverage" in c
                               else f"{row[c]:.1f}" for c in columns)
            lines.append(f"| {seed} | {kind} | {band} | {cells} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[42, 7, 123])
    parser.add_argument("--days", type=int, default=28, help="days of issues")
    parser.add_argument("--retrain-days", type=int, default=7)
    parser.add_argument("--history-days", type=int, default=365)
    parser.add_argument("--end", type=pd.Timestamp, default=END,
                        help="the replay ends here (UTC)")
    parser.add_argument("--gap-days", type=int, default=0,
                        help="each model's data ends this long before its week")
    parser.add_argument("--docs", help="write the table into this markdown file")
    args = parser.parse_args()
    edges = params("training")["forecaster"]["band_edges_h"]
    started, before = time.perf_counter(), load()
    tables, pooled = {}, {}
    for seed in args.seeds:
        for kind, rows in replay(seed, args.days, args.retrain_days,
                                 args.history_days, args.end,
                                 args.gap_days).items():
            tables[(seed, kind)] = forecast_skill.skill_table(rows, edges)
            pooled.setdefault(kind, []).append(rows)
    for kind, parts in pooled.items():
        tables[("all", kind)] = forecast_skill.skill_table(
            pd.concat(parts, ignore_index=True), edges)
    body = (f"`python benchmarks/backtest.py --seeds {' '.join(map(str, args.seeds))}"
            f" --days {args.days} --retrain-days {args.retrain_days}"
            f" --end {args.end:%Y-%m-%d} --gap-days {args.gap_days}`: "
            f"{time.perf_counter() - started:.0f} s, commit {commit()}, "
            f"{pd.Timestamp.now('UTC'):%Y-%m-%d %H:%M} UTC, load {before} before, "
            f"{load()} after.\n\n" + markdown(tables))
    print(body)  # noqa: T201
    if args.docs:
        write_block(ROOT / args.docs, "benchmarks/backtest.py", body)


if __name__ == "__main__":
    main()
