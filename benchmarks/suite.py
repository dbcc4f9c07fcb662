"""The test suite's time: ``pytest -m "not e2e"`` in the trainer, as the README runs it.

  python3 benchmarks/suite.py [--project wp-suite] [--report docs/testing.md]

Runs on the host (standard library only) in its own compose project (no stack
needed: the suite starts its own servers), prints the wall time, the pytest
summary and the slowest tests with date, commit and load, and with ``--report``
writes them into that file (between its markers): one block with the stack down,
one with it up (``docker compose up`` running beside the suite, as a user runs
the suite after starting the platform; told apart by the stack's containers).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from common import ROOT, commit, load, write_block


def stack_containers(project: str = "windpower") -> int:
    """Running containers of the compose project ``project`` (the stack)."""
    out = subprocess.run(
        ["docker", "ps", "-q", "--filter",
         f"label=com.docker.compose.project={project}"],
        capture_output=True, text=True, check=True).stdout
    return len(out.split())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--project", default="wp-suite")
    parser.add_argument("--slowest", type=int, default=10)
    parser.add_argument("--report", type=Path, help="write the figures into this file")
    args = parser.parse_args()
    env = os.environ | {"COMPOSE_PROJECT_NAME": args.project}
    stack = stack_containers()
    beside = f"the stack up ({stack} containers)" if stack else "the stack down"
    started, load_before = datetime.now(UTC), load()
    clock = time.monotonic()
    done = subprocess.run(
        ["docker", "compose", "run", "--rm", "trainer", "pytest", "-m", "not e2e",
         "-q", "-rfE", "--tb=short", f"--durations={args.slowest}"],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    seconds = time.monotonic() - clock
    subprocess.run(["docker", "compose", "down", "-v"], cwd=ROOT, env=env,
                   capture_output=True, check=False)
    lines = done.stdout.splitlines()
    summary = next((line for line in reversed(lines) if " in " in line), "?")
    slowest = [line for line in lines if line[:1].isdigit() and "s " in line[:9]]
    report = [
        f"`docker compose run --rm trainer pytest -m \"not e2e\"` with {beside}: "
        f"**{seconds:.0f} s** wall ({summary.strip('= ')}); "
        f"{started:%Y-%m-%d %H:%M} UTC, commit "
        f"{commit()}, load {load_before} before, {load()} after.",
        "", "Slowest:", "", *(f"- `{line.strip()}`" for line in slowest[:args.slowest]),
    ]
    print("\n".join(report))  # noqa: T201, a script's report
    if done.returncode:
        # A failed suite's figures mean nothing: show why instead of writing them.
        print(done.stdout[-20000:], done.stderr[-5000:], sep="\n", file=sys.stderr)  # noqa: T201
        return done.returncode
    if args.report:
        writer = "benchmarks/suite.py" + (" (stack up)" if stack else "")
        write_block(args.report, writer, "\n".join(report))
    return done.returncode


if __name__ == "__main__":
    sys.exit(main())
