"""Soak test: the whole stack for an hour with every schedule accelerated.

  python3 scripts/soak.py --minutes 60 --report docs/soak-report.md

Runs on the host (standard library only), in its own compose project (default
``wp-soak``, ports 4311/5111, image ``windpower:ops``; ``--keep`` leaves it up,
otherwise ``down -v`` at the end). Schedules: ingest every 1 minute, inference
every 2, monitoring every 5, training every 15; Prefect's retention is on and
shortened so the vacuum works within the hour (events 30 min, heartbeats 10 min,
the vacuum every 5 min; flow runs 2 h, so none is deleted before it is counted).

It prints, and writes as Markdown with date, commit and load:
- flow runs due in the soak window by final state, and every run still Running,
  Pending or Late after a grace period (a stuck run);
- memory per service (``docker stats``, and its processes' private memory from
  the cgroup's memory.stat) after start, after 5 minutes, after the warm-up
  (``--warmup-minutes``: caches such as Postgres' shared buffers fill first, as
  on any stack that has run a while) and at the end, with the growth over the
  measured ``--minutes`` that follow the warm-up;
- the size of each database every ``--sample-minutes``, the Prefect database's
  growth per hour and per run, and a year projected from it.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from common import load  # noqa: E402
from probes import memory_by_service  # noqa: E402

MIB = 2**20
SOAK_ENV = {
    "INGEST_SCHEDULE_INTERVAL_MINUTES": "1",
    "INFERENCE_SCHEDULE_INTERVAL_MINUTES": "2",
    "MONITORING_SCHEDULE_INTERVAL_MINUTES": "5",
    "TRAINING_SCHEDULE_INTERVAL_MINUTES": "15",
    "PREFECT_EVENT_RETENTION": "PT30M",
    "PREFECT_HEARTBEAT_EVENT_RETENTION": "PT10M",
    "PREFECT_FLOW_RUN_RETENTION": "PT2H",
    "PREFECT_VACUUM_LOOP_SECONDS": "300",
}
# Default schedules (services/prefect/*_flow.py): runs a day once the soak is over.
DEFAULT_RUNS_PER_DAY = 144 + 24 + 24 + 1
FINAL = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}
SIZES_SQL = ("select datname, pg_database_size(datname) from pg_database "
             "where datname in ('prefect', 'mlflow', 'windpower') order by 1")
TABLES_SQL = ("select relname, pg_total_relation_size(relid) from "
              "pg_statio_user_tables order by 2 desc limit 8")


class Soak:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.env = dict(os.environ) | {
            "COMPOSE_PROJECT_NAME": args.project, "WINDPOWER_IMAGE": args.image,
            "PREFECT_PORT": str(args.prefect_port),
            "MLFLOW_PORT": str(args.mlflow_port),
            "PREFECT_UI_API_URL": f"http://localhost:{args.prefect_port}/api",
        } | {k: os.environ.get(k, v) for k, v in SOAK_ENV.items()}
        self.api = f"http://127.0.0.1:{args.prefect_port}/api"
        self.lines: list[str] = []

    def compose(self, *args: str, check: bool = True) -> str:
        return subprocess.run(["docker", "compose", *args], cwd=ROOT, env=self.env,
                              capture_output=True, text=True, check=check).stdout

    def psql(self, db: str, sql: str) -> list[list[str]]:
        out = self.compose("exec", "-T", "postgres", "psql", "-U", "postgres", "-d",
                           db, "-tAF", "\t", "-c", sql)
        return [row.split("\t") for row in out.splitlines() if row.strip()]

    def say(self, line: str = "") -> None:
        print(line, flush=True)  # noqa: T201, a script's report
        self.lines.append(line)

    def runs(self, before: datetime, after: datetime) -> list[dict]:
        """Every flow run expected to start in [after, before)."""
        found, offset = [], 0
        while True:
            body = {"flow_runs": {"expected_start_time": {
                "after_": after.isoformat(), "before_": before.isoformat()}},
                "limit": 200, "offset": offset}
            request = urllib.request.Request(
                f"{self.api}/flow_runs/filter", data=json.dumps(body).encode(),
                headers={"Content-Type": "application/json"})
            with urllib.request.urlopen(request, timeout=30) as response:
                page = json.load(response)
            found += page
            offset += len(page)
            if len(page) < 200:
                return found

    def memory(self) -> tuple[dict[str, float], dict[str, float]]:
        """Per service, the least of samples 5 s apart over a minute: ``docker
        stats``, and the private memory of its processes (memory.stat).

        A served flow's runs are child processes of its container that come and go
        (ingest starts one a minute): the least sample is the service between runs,
        which is what a leak would show in. docker stats also counts the page cache
        of the files the container has read (the image's Python packages: each new
        code path a run imports adds pages, up to the image's size, and the kernel
        takes them back under pressure); the private memory is what a leak grows.
        """
        usage, private = [], []
        for _ in range(13):
            usage.append(memory_by_service(self.args.project))
            private.append(self.private_memory())
            time.sleep(5)
        return ({k: min(s.get(k, 0.0) for s in usage) for k in usage[0]},
                {k: min(s.get(k, 0.0) for s in private) for k in private[0]})

    def private_memory(self) -> dict[str, float]:
        """Per service, bytes its processes hold themselves: memory.stat ``anon``
        (cgroup v2) or ``total_rss`` (v1), without page cache and shared memory."""
        def read(service: str) -> dict[str, str]:
            out = self.compose(
                "exec", "-T", service, "sh", "-c", "cat /sys/fs/cgroup/memory.stat "
                "2>/dev/null || cat /sys/fs/cgroup/memory/memory.stat", check=False)
            return dict(line.split() for line in out.splitlines()
                        if line.count(" ") == 1)

        services = self.compose("ps", "--services").split()
        with ThreadPoolExecutor(len(services) or 1) as pool:
            stats = dict(zip(services, pool.map(read, services), strict=True))
        return {service: float(stat.get("anon", stat.get("total_rss", "nan")))
                for service, stat in stats.items() if stat}

    def sizes(self) -> dict[str, int]:
        return {name: int(size) for name, size in self.psql("postgres", SIZES_SQL)}

    def postgres_memory(self) -> dict[str, float]:
        """Postgres' memory by kind (its cgroup's memory.stat, bytes) and backends.

        ``shmem`` is the shared buffers touched so far (bounded by
        ``shared_buffers``), ``anon`` the backends' private memory; docker stats
        counts both, so a cache that fills looks like growth.
        """
        # cgroup v2, else v1 (whose private memory is called rss).
        stat = dict(line.split() for line in self.compose(
            "exec", "-T", "postgres", "sh", "-c", "cat /sys/fs/cgroup/memory.stat "
            "2>/dev/null || cat /sys/fs/cgroup/memory/memory.stat").splitlines())
        backends = self.psql("postgres", "select count(*) from pg_stat_activity "
                             "where backend_type = 'client backend'")
        return {"anon": float(stat.get("anon", stat.get("rss", "nan"))),
                "shmem": float(stat["shmem"]),
                "backends": float(backends[0][0])}

    def events(self) -> tuple[int, int]:
        rows = self.psql("prefect", "select count(*), count(*) filter (where event "
                         "= 'prefect.flow-run.heartbeat') from events")
        return int(rows[0][0]), int(rows[0][1])


def _flow_names(soak: Soak) -> dict[str, str]:
    request = urllib.request.Request(
        f"{soak.api}/flows/filter", data=b"{}",
        headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return {f["id"]: f["name"] for f in json.load(response)}


def _memory_table(soak: Soak, memory: dict[str, dict[str, float]]) -> None:
    stages = list(memory)
    # Growth from +5 min (stages[1]) and over the measured hour (after warm-up).
    froms = list(dict.fromkeys([stages[1], stages[-2]]))
    soak.say("| service | " + " | ".join(stages) + " | "
             + " | ".join(f"growth {s} → end" for s in froms) + " |")
    soak.say("|---" * (len(stages) + len(froms) + 1) + "|")
    for service in sorted(memory[stages[0]]):
        values = [memory[s].get(service, 0.0) for s in stages]
        cells = " | ".join(f"{v / MIB:.0f} MiB" for v in values)
        growths = " | ".join(_growth(memory[s].get(service, 0.0), values[-1])
                             for s in froms)
        soak.say(f"| {service} | {cells} | {growths} |")


def _growth(start: float, end: float) -> str:
    return f"{(end - start) / start * 100:+.1f} %" if start else "n/a"


def _runs_table(soak: Soak, runs: list[dict], names: dict[str, str]) -> list[dict]:
    by_flow: dict[str, Counter] = {}
    for run in runs:
        flow = names.get(run["flow_id"], run["flow_id"])
        by_flow.setdefault(flow, Counter())[run["state_type"]] += 1
    states = ["COMPLETED", "FAILED", "CRASHED", "CANCELLED", "RUNNING", "PENDING",
              "SCHEDULED"]
    soak.say("| flow | runs | " + " | ".join(s.lower() for s in states) + " |")
    soak.say("|---" * (len(states) + 2) + "|")
    total: Counter = Counter()
    for flow, counts in sorted(by_flow.items()):
        total += counts
        soak.say(f"| {flow} | {sum(counts.values())} | "
                 + " | ".join(str(counts[s]) for s in states) + " |")
    soak.say(f"| all | {sum(total.values())} | "
             + " | ".join(str(total[s]) for s in states) + " |")
    return [r for r in runs if r["state_type"] not in FINAL]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=60,
                        help="the measured time, after the warm-up")
    parser.add_argument("--warmup-minutes", type=float, default=5,
                        help="run this long before memory is measured")
    parser.add_argument("--sample-minutes", type=float, default=5)
    parser.add_argument("--grace-minutes", type=float, default=10,
                        help="wait this long for runs due in the window to finish")
    parser.add_argument("--project", default="wp-soak")
    parser.add_argument("--image", default="windpower:ops")
    parser.add_argument("--prefect-port", type=int, default=4311)
    parser.add_argument("--mlflow-port", type=int, default=5111)
    parser.add_argument("--report", type=Path, help="also write the report here")
    parser.add_argument("--keep", action="store_true", help="leave the stack up")
    parser.add_argument("--commit", help="commit to report (default: git HEAD)")
    args = parser.parse_args()
    soak = Soak(args)
    commit = args.commit or subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, check=False,
        capture_output=True, text=True).stdout.strip()
    soak.say(f"# Soak: {args.minutes:.0f} minutes after a "
             f"{args.warmup_minutes:.0f}-minute warm-up, accelerated schedules")
    soak.say()
    soak.say(f"Started {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, commit {commit}, "
             f"image {args.image}, load {load()}. Settings: "
             + ", ".join(f"{k}={soak.env[k]}" for k in SOAK_ENV) + ".")
    try:
        return _soak(soak, args)
    finally:
        if not args.keep:
            soak.compose("down", "-v", "--remove-orphans", check=False)
        if args.report:
            args.report.write_text("\n".join(soak.lines) + "\n")


def _soak(soak: Soak, args: argparse.Namespace) -> int:
    soak.compose("up", "-d", "--wait")
    start = datetime.now(UTC)
    memory, private = {}, {}
    memory["after up"], private["after up"] = soak.memory()
    sizes: list[tuple[float, dict[str, int], tuple[int, int]]] = []
    total = args.warmup_minutes + args.minutes
    end = start + timedelta(minutes=total)
    marks = sorted({5.0, args.warmup_minutes})
    while datetime.now(UTC) < end:
        minute = (datetime.now(UTC) - start).total_seconds() / 60
        sizes.append((minute, soak.sizes(), soak.events(), soak.postgres_memory()))
        print(f"  {minute:5.1f} min: {sizes[-1][1]} events {sizes[-1][2]} "  # noqa: T201
              f"load {load()}", flush=True)
        while marks and minute >= marks[0]:
            stage = f"+{marks.pop(0):.0f} min"
            memory[stage], private[stage] = soak.memory()
        next_mark = start + timedelta(minutes=marks[0] if marks else total)
        time.sleep(max(0.0, min(args.sample_minutes * 60,
                                (next_mark - datetime.now(UTC)).total_seconds(),
                                (end - datetime.now(UTC)).total_seconds())))
    sizes.append((total, soak.sizes(), soak.events(), soak.postgres_memory()))
    memory["end"], private["end"] = soak.memory()
    # Runs due in the window: wait for the last ones to finish, then judge.
    deadline = time.monotonic() + args.grace_minutes * 60
    while True:
        runs = soak.runs(before=end, after=start - timedelta(minutes=5))
        open_runs = [r for r in runs if r["state_type"] not in FINAL]
        if not open_runs or time.monotonic() > deadline:
            break
        time.sleep(10)
    names = _flow_names(soak)
    soak.say()
    soak.say(f"## Flow runs due in the window (after a grace of up to "
             f"{args.grace_minutes:.0f} min)")
    soak.say()
    stuck = _runs_table(soak, runs, names)
    soak.say()
    soak.say(f"Stuck (not final after the grace): {len(stuck)}"
             + "".join(f"\n- {names.get(r['flow_id'])} {r['name']} {r['state_type']} "
                       f"{r['state_name']} expected {r['expected_start_time']}"
                       for r in stuck))
    failed = [r for r in runs if r["state_type"] in FINAL - {"COMPLETED"}]
    soak.say()
    soak.say(f"Failed, crashed or cancelled: {len(failed)}" + "".join(
        f"\n- {names.get(r['flow_id'])} {r['name']} {r['state_type']}: "
        f"{((r.get('state') or {}).get('message') or '')[:200]}" for r in failed))
    _memory_report(soak, memory, private)
    _postgres_memory(soak, sizes)
    _size_report(soak, sizes, runs)
    tables = soak.psql("prefect", TABLES_SQL)
    soak.say()
    soak.say("Largest Prefect tables at the end: " + ", ".join(
        f"{name} {int(size) / MIB:.1f} MiB" for name, size in tables) + ".")
    soak.say()
    soak.say(f"Finished {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, load {load()}.")
    return 1 if stuck else 0


def _memory_report(soak: Soak, memory: dict, private: dict) -> None:
    soak.say()
    soak.say("## Memory per service (least of 13 samples 5 s apart)")
    soak.say()
    _memory_table(soak, memory)
    soak.say()
    soak.say("Private memory per service (memory.stat anon, or total_rss on cgroup "
             "v1: docker stats without the page cache of files read and without "
             "shared memory; least of the same 13 samples):")
    soak.say()
    _memory_table(soak, private)


def _postgres_memory(soak: Soak, sizes: list) -> None:
    shared = soak.psql("postgres", "show shared_buffers")[0][0]
    soak.say()
    soak.say(f"Postgres by kind (memory.stat; shared_buffers = {shared}):")
    soak.say()
    soak.say("| minute | shared (shmem) | private (anon) | client backends |")
    soak.say("|---|---|---|---|")
    for minute, *_, pg in sizes:
        soak.say(f"| {minute:.0f} | {pg['shmem'] / MIB:.0f} MiB | "
                 f"{pg['anon'] / MIB:.0f} MiB | {pg['backends']:.0f} |")


def _size_report(soak: Soak, sizes: list, runs: list[dict]) -> None:
    soak.say()
    soak.say("## Database size (pg_database_size) and Prefect events")
    soak.say()
    soak.say("| minute | prefect | mlflow | windpower | events (heartbeats) |")
    soak.say("|---|---|---|---|---|")
    for minute, size, (events, beats), _ in sizes:
        soak.say(f"| {minute:.0f} | {size['prefect'] / MIB:.1f} MiB | "
                 f"{size['mlflow'] / MIB:.1f} MiB | {size['windpower'] / MIB:.1f} MiB"
                 f" | {events} ({beats}) |")
    (m0, first, *_), (m1, last, *_) = sizes[0], sizes[-1]
    hours = (m1 - m0) / 60
    soak.say()
    for db in ("prefect", "mlflow", "windpower"):
        per_hour = (last[db] - first[db]) / hours
        soak.say(f"- {db}: {per_hour / MIB:+.1f} MiB per hour at the soak's pace, "
                 f"{per_hour * 24 / MIB:+.0f} MiB a day, a year at that pace with no "
                 f"retention {per_hour * 24 * 365 / 2**30:+.1f} GiB")
    half = next((s for s in sizes if s[0] >= (m1 - m0) / 2), sizes[0])
    late = (last["prefect"] - half[1]["prefect"]) / ((m1 - half[0]) / 60)
    finished = max(1, sum(r["state_type"] in FINAL for r in runs))
    per_run = (last["prefect"] - first["prefect"]) / finished
    soak.say(f"- prefect, second half only (events retention reached): "
             f"{late / MIB:+.1f} MiB per hour")
    soak.say(f"- prefect per finished run: {per_run / 1024:.0f} KiB; at the default "
             f"schedules ({DEFAULT_RUNS_PER_DAY} runs a day) "
             f"{per_run * DEFAULT_RUNS_PER_DAY / MIB:.0f} MiB a day; with flow runs "
             f"kept 30 days the database levels off near "
             f"{per_run * DEFAULT_RUNS_PER_DAY * 30 / 2**30:.2f} GiB, without "
             f"retention a year would add "
             f"{per_run * DEFAULT_RUNS_PER_DAY * 365 / 2**30:.2f} GiB")


if __name__ == "__main__":
    sys.exit(main())
