"""Fleet through the running stack's work pools (issue 32): a fleet of demo sites
ingested into the stack's Postgres, then every site trained, scored and monitored
by a pool deployment run without a site, which fans out one run per site onto the
pool's queue for whichever worker is free. Not in CI.

  DEMO_FARM_ENABLED=false WORKER_RUN_LIMIT=1 docker compose --profile docker-pool \\
      up -d --wait --scale worker=2
  docker compose run --rm trainer python benchmarks/fleet_pools.py \\
      --turbines 1000 --sites 10 \\
      --training training-flow/training-pool training-flow/training-docker

The stack should hold no other site (``DEMO_FARM_ENABLED=false``), so that the
fan-outs cover the fleet only. Ingest is ``benchmarks/fleet.py``'s (the demo
farm's tasks, ``--jobs`` processes at once, here against the stack's Postgres);
the other stages are the stack's own runs. A stage's time is from the fan-out's
start to its last run's end (Prefect's times); its memory is the peak of every
container on this host but this one, summed (Docker's stats, sampled about every
2 s, page cache excluded: a run that lasts less than a sample may be missed); the
ingest's, its processes' peaks summed (as in fleet.py).

Prints the table; ``--out FILE`` also writes it into that file's
``<!-- benchmarks/fleet_pools.py writes from here -->`` block.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import sys
import tempfile
import threading
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

from common import commit, load, machine, write_block
from fleet import AS_OF, TARGETS, _run_shares, fleet_sites, make_project

STAGE_TIMEOUT_S = 3600


class MemorySampler:
    """The summed memory of every container on this host but this one, sampled in
    a thread: its peak, and each container's own peak."""

    def __init__(self) -> None:
        import docker  # noqa: PLC0415 (testcontainers' dependency)

        self.client = docker.from_env()
        self.me = socket.gethostname()  # a container's hostname: its short id
        self.peak_mib = 0.0
        self.by_name: dict[str, float] = defaultdict(float)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        while not self._stop.wait(0.5):
            total = 0.0
            for container in self.client.containers.list():
                if container.id.startswith(self.me):
                    continue
                try:
                    stats = container.stats(stream=False, one_shot=True)
                except Exception:  # noqa: BLE001 (a run's container just ended)
                    continue
                memory = stats.get("memory_stats") or {}
                cache = (memory.get("stats") or {}).get(
                    "total_inactive_file", (memory.get("stats") or {}).get(
                        "inactive_file", 0))
                mib = (memory.get("usage", 0) - cache) / 2**20
                name = _role(container)
                self.by_name[name] = max(self.by_name[name], mib)
                total += mib
            self.peak_mib = max(self.peak_mib, total)


def _role(container) -> str:
    """A compose service's name; else a Docker-pool run's container."""
    return container.labels.get("com.docker.compose.service") or "docker-pool run"


def ingest(turbines: int, sites: int, jobs: int) -> dict:
    """benchmarks/fleet.py's ingest stage against the stack's Postgres."""
    with tempfile.TemporaryDirectory(prefix="wpfleet-") as tmp:
        project = make_project(Path(tmp))
        command = [sys.executable, str(Path(__file__).with_name("fleet.py")),
                   "--stage", "ingest", "--fleet", str(turbines), "--sites",
                   str(sites), "--project", str(project)]
        started = time.perf_counter()
        result = _run_shares(command, jobs, dict(os.environ), f"ingest {turbines}")
    return result | {"seconds": time.perf_counter() - started}


def fan_out(deployment: str, sites: int, parameters: dict) -> dict:
    """Run ``deployment`` without a site and wait for the run per site it
    starts; their states, times and the stack's memory meanwhile."""
    from prefect.client.orchestration import get_client  # noqa: PLC0415
    from prefect.client.schemas.filters import (  # noqa: PLC0415
        FlowRunFilter,
        FlowRunFilterParentFlowRunId,
    )
    from prefect.deployments import run_deployment  # noqa: PLC0415

    with MemorySampler() as memory:
        began = datetime.now(UTC)
        parent = run_deployment(deployment, parameters=parameters, timeout=0)
        deadline = time.monotonic() + STAGE_TIMEOUT_S
        with get_client(sync_client=True) as client:
            while True:
                children = client.read_flow_runs(flow_run_filter=FlowRunFilter(
                    parent_flow_run_id=FlowRunFilterParentFlowRunId(
                        any_=[parent.id])))
                parent_state = client.read_flow_run(parent.id).state
                done = [c for c in children if c.state and c.state.is_final()]
                if len(children) >= sites and len(done) == len(children):
                    break
                if parent_state.is_final() and not parent_state.is_completed():
                    raise SystemExit(f"{deployment}: the fan-out run ended "
                                     f"{parent_state.name}")
                if time.monotonic() > deadline:
                    raise SystemExit(f"{deployment}: {len(done)} of {sites} runs "
                                     f"done after {STAGE_TIMEOUT_S} s")
                time.sleep(2)
    ends = [c.end_time for c in children if c.end_time]
    states = defaultdict(int)
    for child in children:
        states[child.state.name] += 1
    runs = sorted(c.total_run_time.total_seconds() for c in children)
    return {"seconds": (max(ends) - began).total_seconds(),
            "states": dict(states), "run_seconds": runs,
            "peak_mib": memory.peak_mib, "by_container": dict(memory.by_name),
            "load": load()}


def champions(sites: list[str]) -> int:
    """How many of ``sites`` have a champion in the stack's registry."""
    from windpower.datasets.mlflow_datasets import resolve_alias  # noqa: PLC0415
    from windpower.store.sites import model_name  # noqa: PLC0415

    return sum(resolve_alias(model_name(site)) is not None for site in sites)


def executor(deployment: str) -> str:
    """The container that executes a deployment's runs, as ``_role`` names it."""
    flow, name = deployment.split("/")
    if name.endswith("-pool"):
        return "worker"
    return "docker-pool run" if name.endswith("-docker") else flow


def row(stage: str, deployment: str | None, result: dict, target: float | None,
        processes: int = 1) -> str:
    runs = result.get("run_seconds") or []
    median = f"{runs[len(runs) // 2]:.1f} s" if runs else ""
    states = ", ".join(f"{n} {s}" for s, n in sorted(result.get("states", {}).items()))
    goal = f"≤ {target:.0f} s: {'met' if result['seconds'] <= target else 'missed'}" \
        if target else ""
    if deployment:  # a run's container, and the stack's containers summed
        how = f"`{deployment}`"
        peak = result["by_container"].get(executor(deployment), 0)
        memory = (f"{peak / 1024:.2f} GiB ({executor(deployment)}); stack "
                  f"{result['peak_mib'] / 1024:.2f} GiB")
    else:
        how = f"{processes} processes (fleet.py's)"
        memory = f"{result['peak_mib'] / 1024:.2f} GiB (the processes)"
    return (f"| {stage} | {how} | {result['seconds']:.1f} s | {memory} | {median} "
            f"| {states} | {goal} |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turbines", type=int, default=1000)
    parser.add_argument("--sites", type=int, default=10)
    parser.add_argument("--jobs", type=int, default=2,
                        help="processes at once for the ingest")
    parser.add_argument("--skip-ingest", action="store_true",
                        help="the fleet is stored already")
    parser.add_argument("--training", nargs="*",
                        default=["training-flow/training-pool"],
                        help="training deployments to fan out, one after another")
    parser.add_argument("--inference", nargs="*",
                        default=["inference-flow/inference-pool"])
    parser.add_argument("--monitoring", nargs="*",
                        default=["monitoring-flow/monitoring-pool"])
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    started = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    start_load = load()
    print(f"machine: {machine()}\nload at start: {start_load}", flush=True)
    targets = TARGETS.get(args.turbines, {})
    sites = [s.site_id for s in fleet_sites(args.turbines, args.sites)]
    rows, details = [], []
    if not args.skip_ingest:
        result = ingest(args.turbines, args.sites, args.jobs)
        rows.append(row("ingest", None, result, targets.get("ingest"), args.jobs))
        print(rows[-1], flush=True)
    stages = [("training", d, {"as_of": AS_OF}) for d in args.training]
    stages += [("inference", d, {"as_of": AS_OF}) for d in args.inference]
    stages += [("monitoring", d, {"as_of": AS_OF,
                                  "params": {"monitoring": {"window_days": 1}}})
               for d in args.monitoring]
    for stage, deployment, parameters in stages:
        result = fan_out(deployment, len(sites), parameters)
        rows.append(row(stage, deployment, result, targets.get(stage)))
        print(rows[-1], flush=True)
        runs = ", ".join(f"{s:.0f}" for s in result["run_seconds"])
        peaks = json.dumps({k: round(v) for k, v in
                            sorted(result["by_container"].items())})
        details.append(f"- `{deployment}`: runs {runs} s; load at the end "
                       f"{result['load']}; peak per container (MiB) {peaks}")
        if stage == "training":
            details[-1] += f"; sites with a champion: {champions(sites)}/{len(sites)}"
    text = "\n".join([
        f"Measured by `benchmarks/fleet_pools.py --turbines {args.turbines} --sites "
        f"{args.sites}` on {started}, commit {commit()}; machine: {machine()}; load "
        f"(1/5/15 min) at start {start_load}, at the end {load()}.", "",
        "| stage | how | time | peak memory: one run's container; all | median run "
        "| runs | goal |",
        "|---|---|---|---|---|---|---|", *rows, "", *details])
    print("\n" + text, flush=True)
    if args.out:
        write_block(args.out, "benchmarks/fleet_pools.py", text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
