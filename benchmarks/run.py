"""Measure the platform against the performance targets (issue 5).

  python benchmarks/run.py                        everything (about 30 minutes)
  python benchmarks/run.py --only inprocess       training + inference, no Docker
  python benchmarks/run.py --only stack           the compose stack (project wpbench)
  python benchmarks/run.py --only training --sizes 100k,400k
  python benchmarks/run.py --only start,memory --docs docs/performance.md

Writes a Markdown table (figure | measured | target | met?) with the machine and the
load each figure was measured under to benchmarks/results/latest.md and stdout, and
with --docs into that file's block for it.
Timings are medians of several runs; they are figures to read, not test assertions.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import sys
import tempfile
import warnings
from pathlib import Path

# As in the image, before anything loads OpenMP: idle threads sleep, not spin.
os.environ.setdefault("OMP_WAIT_POLICY", "passive")

from common import (  # noqa: E402
    ROOT,
    Figure,
    commit,
    load,
    machine,
    report,
    write_block,
)

SECTIONS = {
    "inprocess": ["training", "inference"],
    "stack": ["first-value", "start", "memory", "orchestration", "image"],
}
ALL = [name for group in SECTIONS.values() for name in group]
# The plain options: flag, default (whose type is the option's), what it sets.
OPTIONS = (
    ("--sizes", "100k,400k,1.6M", "SCADA rows of the training runs"),
    ("--scoring-rows", "4032,1M", "rows scored by the loaded model"),
    ("--repeat", 3, "runs per figure; the median is reported"),
    ("--project", "wpbench", "compose project of the stack"),
    ("--image", "windpower:bench", "image the stack builds and runs"),
    ("--idle-seconds", 120, "wait after start before reading memory"),
)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--only", default="inprocess,stack",
        help=f"comma-separated sections or groups: {', '.join(SECTIONS)}, "
        f"{', '.join(ALL)} (default: all)")
    for flag, default, text in OPTIONS:
        parser.add_argument(flag, type=type(default), default=default,
                            help=f"{text} (default %(default)s)")
    parser.add_argument("--out", type=Path,
                        default=ROOT / "benchmarks" / "results" / "latest.md")
    parser.add_argument("--docs", type=Path,
                        help="also write the report into this Markdown file's block "
                        "<!-- benchmarks/run.py writes from here -->")
    return parser.parse_args(argv)


def selected(only: str) -> list[str]:
    names: list[str] = []
    for item in (part.strip() for part in only.split(",")):
        if item not in SECTIONS and item not in ALL:
            raise SystemExit(f"unknown section {item!r}; choose from {SECTIONS} {ALL}")
        names += SECTIONS.get(item, [item])
    return [name for name in ALL if name in names]


def run_inprocess(names: list[str], args: argparse.Namespace) -> list[Figure]:
    quiet = Path(tempfile.gettempdir()) / "wpbench-logging.yml"
    quiet.write_text("version: 1\ndisable_existing_loggers: false\n"
                     "root: {level: WARNING}\n")
    os.environ.setdefault("KEDRO_LOGGING_CONFIG", str(quiet))  # no per-node INFO
    import inprocess  # noqa: PLC0415, imports Kedro and MLflow only when needed

    warnings.simplefilter("ignore")  # deprecation chatter of Kedro and MLflow
    logging.getLogger("mlflow").setLevel(logging.WARNING)

    figures: list[Figure] = []
    if "training" in names:
        print(f"training throughput (load {load()})", flush=True)
        figures += inprocess.training(args.sizes.split(","), args.repeat)
    if "inference" in names:
        print(f"inference scoring (load {load()})", flush=True)
        rows = [inprocess.parse_size(s) for s in args.scoring_rows.split(",")]
        figures += inprocess.scoring(rows, args.repeat)
    return figures


def run_stack(names: list[str], args: argparse.Namespace) -> list[Figure]:
    import stack  # noqa: PLC0415

    bench = stack.Stack(args.project, args.image)
    return bench.measure(names, args.repeat, args.idle_seconds)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    names = selected(args.only)
    if args.docs and not set(names) <= set(SECTIONS["stack"]):
        raise SystemExit("--docs writes the stack's block: use it with stack "
                         f"sections only ({', '.join(SECTIONS['stack'])})")
    logging.basicConfig(level=logging.WARNING)
    started = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    start_load = load()
    print(f"machine: {machine()}\nload at start: {start_load}", flush=True)
    # The stack sections need only Docker on the host, not Kedro and MLflow.
    figures: list[Figure] = []
    if any(name in SECTIONS["inprocess"] for name in names):
        figures += run_inprocess(names, args)
    if any(name in SECTIONS["stack"] for name in names):
        figures += run_stack(names, args)
    header = (f"Written by `benchmarks/run.py --only {args.only}` at {started}, commit "
              f"{commit()}. Machine: {machine()}. Load (1/5/15 min) at start "
              f"{start_load}; each figure lists the load when it was measured. "
              f"Medians of {args.repeat} runs unless stated.")
    text = report(figures, header)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text + "\n")
    print("\n" + text)
    if args.docs:
        write_block(args.docs, "benchmarks/run.py", text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
