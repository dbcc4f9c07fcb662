#!/usr/bin/env python
"""Inject the platform faults of issue 6 into a compose stack and check each outcome.

    /opt/dev-venv/bin/python scripts/faults.py                # all faults
    /opt/dev-venv/bin/python scripts/faults.py --only f2,f3   # some of them
    /opt/dev-venv/bin/python scripts/faults.py --down         # then `down -v`

Runs from the host with the project's dependencies (prefect, mlflow). It brings the
stack up (or uses the one that is up) as its own compose project, by default
``wpfaults`` on ports 14200/15001, so it never disturbs your ``windpower`` stack:
the faults restart, kill and stop its services and one of them is ``down``/``up``.
Runs are started through the Prefect API; outcomes are read from the Prefect API,
MLflow and Postgres (through ``docker compose exec postgres psql``: Postgres is
never published on the host). Every wait is bounded; a full run takes about
15 minutes. Prints a Markdown table and exits 1 when any check fails.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SERVICES = ("postgres", "prefect-server", "mlflow", "worker", "training-flow",
            "inference-flow")
FINAL = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}
TRAIN_SERVED = "training-flow/training-flow"
TRAIN_POOL = "training-flow/training-pool"
INFER_SERVED = "inference-flow/inference-flow"
INFER_POOL = "inference-flow/inference-pool"
MODEL = "windpower"
# Fault 6: the data volume mounted read-only into inference-flow (the files it writes,
# e.g. rejected_forecast, live there; predictions go to Postgres).
READ_ONLY_OVERRIDE = """\
services:
  inference-flow:
    volumes:
      - windpower-data:/app/data:ro
"""


@dataclass
class Result:
    fault: str
    expected: str
    observed: list[str] = field(default_factory=list)
    ok: bool = True

    def check(self, ok: bool, observed: str) -> bool:
        """Record one observation; any failed one fails the fault."""
        self.observed.append(observed if ok else f"**{observed}**")
        self.ok = self.ok and ok
        return ok

    def require(self, ok: bool, observed: str) -> None:
        """Like ``check``, for an observation the rest of the fault depends on:
        a failed one abandons the fault."""
        if not self.check(ok, observed):
            raise Abandoned


class Abandoned(Exception):
    """A fault that cannot go on; ``main`` reports its result as it stands."""


class Stack:
    """The compose project under test and its Prefect, MLflow and Postgres."""

    def __init__(self, project: str, prefect_port: int, mlflow_port: int) -> None:
        self.project = project
        self.env = dict(os.environ, COMPOSE_PROJECT_NAME=project,
                        PREFECT_PORT=str(prefect_port), MLFLOW_PORT=str(mlflow_port),
                        PREFECT_UI_API_URL=f"http://localhost:{prefect_port}/api")
        self.api_url = f"http://localhost:{prefect_port}/api"
        os.environ["PREFECT_API_URL"] = self.api_url
        os.environ["MLFLOW_TRACKING_URI"] = f"http://localhost:{mlflow_port}"
        # Fail fast while MLflow is down on purpose; the script polls instead.
        os.environ["MLFLOW_HTTP_REQUEST_MAX_RETRIES"] = "0"
        os.environ["MLFLOW_HTTP_REQUEST_TIMEOUT"] = "10"
        import httpx  # noqa: PLC0415 (after the environment is set)

        self.http = httpx.Client(base_url=self.api_url, timeout=10)

    # docker compose --------------------------------------------------------------
    def compose(self, *args: str, files: tuple[Path, ...] = (), timeout: int = 300,
                check: bool = True) -> str:
        cmd = ["docker", "compose", "-p", self.project, "--project-directory",
               str(ROOT), "-f", str(ROOT / "docker-compose.yml")]
        for extra in files:
            cmd += ["-f", str(extra)]
        done = subprocess.run([*cmd, *args], env=self.env, capture_output=True,
                              text=True, timeout=timeout, check=False)
        if check and done.returncode:
            raise RuntimeError(f"docker compose {' '.join(args)}: "
                               f"{done.stderr.strip()[-400:]}")
        return done.stdout

    def health(self) -> dict[str, str]:
        """service -> health (or state when it has no healthcheck)."""
        out = self.compose("ps", "-a", "--format", "json", check=False)
        rows = [json.loads(line) for line in out.splitlines() if line.strip()]
        if len(rows) == 1 and isinstance(rows[0], list):
            rows = rows[0]
        return {r["Service"]: (r.get("Health") or r.get("State") or "") for r in rows}

    def wait_healthy(self, services: tuple[str, ...] = SERVICES,
                     timeout: float = 240) -> bool:
        """Wait, without touching anything, until ``services`` are healthy."""
        return wait_for(lambda: all(self.health().get(s) == "healthy"
                                    for s in services), timeout, 3) is True

    def up(self, *services: str, files: tuple[Path, ...] = ()) -> None:
        # --no-deps: recreate only the named services, even if the image was
        # rebuilt meanwhile (a new image would otherwise recreate their servers).
        flags = ("--no-deps", *services) if services else ()
        self.compose("up", "-d", "--wait", "--wait-timeout", "300", *flags,
                     files=files, timeout=420)

    def psql(self, query: str) -> str:
        return self.compose("exec", "-T", "postgres", "psql", "-U", "postgres", "-d",
                            "windpower", "-tAc", query, timeout=60)

    # Prefect ---------------------------------------------------------------------
    def api(self, method: str, path: str, body: Any = None) -> Any:
        response = self.http.request(method, path, json=body)
        response.raise_for_status()
        return response.json() if response.content else None

    def trigger(self, deployment: str, parameters: dict | None = None) -> str:
        from prefect.deployments import run_deployment  # noqa: PLC0415

        def start() -> str:
            run = run_deployment(deployment, parameters=parameters, timeout=0)
            return str(run.id)

        return retrying(start, 60)

    def run_state(self, run_id: str) -> tuple[str, str]:
        run = self.api("GET", f"/flow_runs/{run_id}")
        return run["state_type"], (run["state"] or {}).get("message") or ""

    def wait_state(self, run_id: str, states: set[str], timeout: float
                   ) -> tuple[str, str]:
        """Poll until the run is in one of ``states``; the last state seen."""
        last = ("UNKNOWN", "")

        def probe() -> bool:
            nonlocal last
            try:
                last = self.run_state(run_id)
            except Exception:  # noqa: BLE001 (the API may be down on purpose)
                return False
            return last[0] in states

        wait_for(probe, timeout, 3)
        return last

    def wait_task(self, run_id: str, task_name: str, timeout: float) -> bool:
        body = {"flow_runs": {"id": {"any_": [run_id]}},
                "task_runs": {"name": {"any_": [task_name]}}}
        return wait_for(lambda: bool(self.api("POST", "/task_runs/filter", body)),
                        timeout, 2) is True

    def task_runs(self, run_id: str) -> list[dict]:
        body = {"flow_runs": {"id": {"any_": [run_id]}}, "limit": 200}
        return self.api("POST", "/task_runs/filter", body)

    def final_runs(self) -> dict[str, str]:
        """id -> state type of every flow run in a final state."""
        runs: dict[str, str] = {}
        offset = 0
        while True:
            page = self.api("POST", "/flow_runs/filter", {
                "flow_runs": {"state": {"type": {"any_": sorted(FINAL)}}},
                "sort": "ID_DESC", "limit": 200, "offset": offset})
            runs.update({r["id"]: r["state_type"] for r in page})
            if len(page) < 200:  # noqa: PLR2004
                return runs
            offset += 200

    def active_runs(self) -> list[dict]:
        return self.api("POST", "/flow_runs/filter", {"flow_runs": {"state": {
            "type": {"any_": ["RUNNING", "PENDING", "CANCELLING"]}}}})

    def reconnected(self, since: datetime) -> tuple[bool, str]:
        """Worker heartbeat and served deployments polled since ``since``."""
        workers = self.api("POST", "/work_pools/default-worker-pool/workers/filter",
                           {})
        beat = any(w["status"] == "ONLINE" and parse(w["last_heartbeat_time"]) > since
                   for w in workers)
        deployments = self.api("POST", "/deployments/filter", {})
        polled = {d["name"] for d in deployments if d["status"] == "READY"
                  and d.get("last_polled") and parse(d["last_polled"]) > since}
        served = {"training-flow", "inference-flow"} <= polled
        return beat and served, (f"worker heartbeat: {'yes' if beat else 'no'}, "
                                 f"served deployments polling: {sorted(polled)}")

    def schedules_live(self) -> tuple[bool, str]:
        """Served deployments unpaused, with future scheduled runs."""
        now = datetime.now(UTC).isoformat()
        parts, ok = [], True
        for name in ("training-flow", "inference-flow"):
            dep = self.api("GET", f"/deployments/name/{name}/{name}")
            count = self.api("POST", "/flow_runs/count", {
                "deployments": {"id": {"any_": [dep["id"]]}},
                "flow_runs": {"state": {"type": {"any_": ["SCHEDULED"]}},
                              "expected_start_time": {"after_": now}}})
            ok = ok and not dep["paused"] and count > 0
            parts.append(f"{name}: paused={dep['paused']}, {count} scheduled")
        return ok, "; ".join(parts)

    def slots_free(self) -> tuple[bool, str]:
        """Both one-at-a-time slots released (within a lease renewal)."""

        def used() -> dict[str, int]:
            limits = self.api("POST", "/v2/concurrency_limits/filter", {})
            return {c["name"]: c["active_slots"] for c in limits
                    if c["name"].startswith("windpower-")}

        busy = wait_for(lambda: not any(used().values()), 30, 3)
        slots = used()
        return bool(busy), f"concurrency slots in use: {slots}"

    # MLflow and Postgres ---------------------------------------------------------
    def registry(self) -> tuple[dict[str, str], dict[str, str]]:
        """(version -> run id, alias -> version) of the registered model."""
        from mlflow import MlflowClient  # noqa: PLC0415

        client = MlflowClient()
        versions = {v.version: v.run_id
                    for v in client.search_model_versions(f"name='{MODEL}'")}
        aliases = dict(client.get_registered_model(MODEL).aliases)
        return versions, aliases

    def mlflow_runs(self) -> dict[str, str]:
        """run id -> experiment id of every MLflow run."""
        from mlflow import MlflowClient  # noqa: PLC0415

        client = MlflowClient()
        ids = [e.experiment_id for e in client.search_experiments()]
        runs = client.search_runs(ids, max_results=5000)
        return {r.info.run_id: r.info.experiment_id for r in runs}

    def predictions(self) -> dict[str, str]:
        """(timestamp, turbine, version) -> predicted power, every stored row."""
        out = self.psql("SELECT timestamp, turbine_id, model_version, "
                        "predicted_power_kw FROM predictions")
        rows = (line.rsplit("|", 1) for line in out.splitlines() if "|" in line)
        return dict(rows)

    def snapshot(self) -> dict[str, Any]:
        versions, aliases = self.registry()
        return {"runs": self.final_runs(), "mlflow_runs": self.mlflow_runs(),
                "versions": versions, "aliases": aliases,
                "predictions": self.predictions()}


def brief(message: str, head: int = 90, tail: int = 90) -> str:
    """A long state message shortened to its start and its end."""
    message = " ".join(message.split())
    if len(message) <= head + tail:
        return message
    return f"{message[:head]} … {message[-tail:]}"


def parse(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def wait_for(probe: Callable[[], Any], timeout: float, every: float) -> Any:
    """Call ``probe`` until it returns a truthy value or ``timeout`` passes."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = probe()
        except Exception:  # noqa: BLE001 (servers may be down on purpose)
            value = None
        if value or time.monotonic() > deadline:
            return value
        time.sleep(every)


def retrying(call: Callable[[], Any], timeout: float) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        try:
            return call()
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(3)


def lost(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """What ``before`` had that ``after`` lacks (or changed), per kind."""
    losses = []
    for kind in ("runs", "mlflow_runs", "versions", "predictions"):
        gone = [k for k, v in before[kind].items() if after[kind].get(k) != v]
        if gone:
            losses.append(f"{len(gone)} {kind}")
    if before["aliases"] != after["aliases"]:
        losses.append(f"aliases {before['aliases']} -> {after['aliases']}")
    return losses


def counts(snap: dict[str, Any]) -> str:
    return (f"{len(snap['runs'])} flow runs, {len(snap['mlflow_runs'])} MLflow runs, "
            f"{len(snap['versions'])} versions, aliases {snap['aliases']}, "
            f"{len(snap['predictions'])} predictions")


def run_ok(stack: Stack, res: Result, deployment: str, timeout: float = 300) -> bool:
    run_id = stack.trigger(deployment)
    state, message = stack.wait_state(run_id, FINAL, timeout)
    return res.check(state == "COMPLETED",
                     f"{deployment} run {state} {brief(message)}".strip())


def start_running(stack: Stack, res: Result, deployment: str, label: str) -> str:
    """Trigger a run and let it work 10 s; the fault is abandoned if the run never
    reached RUNNING."""
    run_id = stack.trigger(deployment)
    state, _ = stack.wait_state(run_id, {"RUNNING", *FINAL}, 180)
    res.require(state == "RUNNING", f"{label} {state} before the fault")
    time.sleep(10)
    return run_id


# The faults -------------------------------------------------------------------
def fault_prefect_idle(stack: Stack, res: Result) -> None:
    since = datetime.now(UTC)
    stack.compose("restart", "prefect-server", timeout=120)
    res.check(stack.wait_healthy(timeout=180), "all services healthy again")
    ok, seen = wait_for(lambda: stack.reconnected(since), 120, 5) or (False, "?")
    if not ok:
        ok, seen = stack.reconnected(since)
    res.check(ok, seen)
    res.check(*stack.schedules_live())
    run_ok(stack, res, INFER_SERVED)
    run_ok(stack, res, INFER_POOL)


def fault_prefect_busy(stack: Stack, res: Result) -> None:
    run_id = start_running(stack, res, TRAIN_SERVED, "training run")
    stack.compose("restart", "prefect-server", timeout=120)
    res.check(stack.wait_healthy(timeout=180), "all services healthy again")
    state, message = stack.wait_state(run_id, FINAL, 360)
    res.check(state in FINAL, f"training run ended {state} {brief(message)}".strip())
    res.check(*stack.schedules_live())
    # The run held the training slot across the restart: it must be free again,
    # or no later training would ever start.
    res.check(*stack.slots_free())


def fault_kill_worker(stack: Stack, res: Result) -> None:
    run_id = start_running(stack, res, TRAIN_POOL, "pool run")
    containers = stack.compose("ps", "-q", "worker").split()
    subprocess.run(["docker", "kill", *containers], capture_output=True, check=True)
    killed = time.monotonic()
    state, message = stack.wait_state(run_id, FINAL, 300)
    res.check(state == "CRASHED", f"killed run {state} after "
              f"{time.monotonic() - killed:.0f} s: {brief(message)}")
    # `ps -q` lists running containers only: did Docker restart it by itself?
    if wait_for(lambda: stack.compose("ps", "-q", "worker").strip(), 30, 3):
        res.check(stack.wait_healthy(("worker",), 120),
                  "worker restarted by its restart policy")
    else:
        stack.up("worker")
        res.check(True, "worker not restarted by Docker after `docker kill` "
                  "(restart policy ignores a manual kill); `up -d worker`")
    run_ok(stack, res, TRAIN_POOL, 480)


def fault_stop_mlflow(stack: Stack, res: Result) -> None:
    versions, aliases = stack.registry()
    run_id = stack.trigger(TRAIN_SERVED)
    res.require(stack.wait_task(run_id, "fit_baseline_node", 300),
                "training reached fit_baseline_node")
    stack.compose("stop", "mlflow", timeout=120)
    state, message = stack.wait_state(run_id, FINAL, 300)
    stack.compose("start", "mlflow", timeout=120)
    res.check(stack.wait_healthy(timeout=180), "mlflow restarted, all healthy")
    retried = [f"{t['name']} x{t['run_count']}" for t in stack.task_runs(run_id)
               if t["run_count"] > 1]
    res.check(bool(retried), f"retried: {', '.join(retried) or 'nothing'}")
    readable = "mlflow" in message.lower() and "node" in message.lower()
    res.check(state == "FAILED" and readable, f"run {state}: {brief(message)}")
    after_versions, after_aliases = stack.registry()
    res.check(after_aliases.get("champion") == aliases.get("champion"),
              f"champion v{aliases.get('champion')} -> "
              f"v{after_aliases.get('champion')}")
    new = set(after_versions) - set(versions)
    aliased = {a: v for a, v in after_aliases.items() if v in new}
    res.check(not aliased, f"{len(new)} new version(s), aliased: {aliased or 'none'}")


def fault_restart_postgres(stack: Stack, res: Result) -> None:
    before = stack.snapshot()
    stack.compose("restart", "postgres", timeout=120)
    healthy = stack.wait_healthy(timeout=240)
    res.check(healthy, "all services healthy again by themselves" if healthy
              else f"not healthy: {stack.health()}")
    run_ok(stack, res, INFER_SERVED)
    run_ok(stack, res, INFER_POOL)
    gone = lost(before, stack.snapshot())
    res.check(not gone, f"lost: {', '.join(gone) or 'nothing'} ({counts(before)})")


def fault_read_only_data(stack: Stack, res: Result) -> None:
    before = stack.predictions()
    with tempfile.TemporaryDirectory() as tmp:
        override = Path(tmp) / "read-only-data.yml"
        override.write_text(READ_ONLY_OVERRIDE)
        stack.up("inference-flow", files=(override,))
        run_id = stack.trigger(INFER_SERVED)
        state, message = stack.wait_state(run_id, FINAL, 300)
    clear = "read-only file system" in message.lower()
    res.check(state == "FAILED" and clear, f"run {state}: {brief(message)}")
    after = stack.predictions()
    res.check(before == after, f"predictions {len(before)} -> {len(after)}, "
              f"{'unchanged' if before == after else 'CHANGED'}")
    stack.up("inference-flow")
    run_ok(stack, res, INFER_SERVED)


def fault_down_up(stack: Stack, res: Result) -> None:
    wait_for(lambda: not stack.active_runs(), 240, 5)
    before = stack.snapshot()
    stack.compose("down", timeout=300)
    stack.up()
    res.check(stack.wait_healthy(timeout=60), "all services healthy after `up`")
    after = retrying(stack.snapshot, 120)
    gone = lost(before, after)
    res.check(not gone, f"lost: {', '.join(gone) or 'nothing'}; kept {counts(before)}")


# key -> (what is done, what should happen, the fault): the first two head the
# fault's row in the report; the fault adds what it observes to that row.
FAULTS: dict[str, tuple[str, str, Callable[[Stack, Result], None]]] = {
    "f1a": ("`restart prefect-server` (idle)",
            "worker and flow servers reconnect; schedules continue",
            fault_prefect_idle),
    "f1b": ("`restart prefect-server` (run in progress)",
            "the run ends COMPLETED or failed/crashed, never stuck Running",
            fault_prefect_busy),
    "f2": ("`docker kill` the worker during a pool run",
           "run marked CRASHED (not Running forever); next run succeeds",
           fault_kill_worker),
    "f3": ("`stop mlflow` during training",
           "MLflow tasks retry with backoff, then the run fails readably; "
           "champion unchanged; no half-registered version takes an alias",
           fault_stop_mlflow),
    "f4": ("`restart postgres`",
           "every service recovers without manual action; no data lost",
           fault_restart_postgres),
    "f6": ("data volume read-only for inference-flow",
           "clear failure; previous predictions intact",
           fault_read_only_data),
    "f5": ("`docker compose down` then `up`",
           "runs, experiments, versions, aliases, predictions all kept",
           fault_down_up),
}


def prepare(stack: Stack) -> None:
    """Bring the stack up and make sure a champion and predictions exist."""
    log("bringing the stack up (or finding it up)")
    stack.up()

    def champion() -> bool:
        return "champion" in stack.registry()[1]

    if not wait_for(champion, 20, 5):
        if not stack.active_runs():
            stack.trigger(TRAIN_SERVED)
        log("waiting for the first champion model")
        if not wait_for(champion, 420, 10):
            raise SystemExit("no champion model after 7 minutes; is training broken?")
    if not wait_for(stack.predictions, 10, 5):
        run_id = stack.trigger(INFER_SERVED)
        stack.wait_state(run_id, FINAL, 300)
    wait_for(lambda: not stack.active_runs(), 300, 5)


def table(results: list[Result]) -> str:
    lines = ["| fault | expected | observed | result |", "|---|---|---|---|"]
    for r in results:
        observed = "; ".join(r.observed).replace("|", "/").replace("\n", " ")
        lines.append(f"| {r.fault} | {r.expected} | {observed} | "
                     f"{'PASS' if r.ok else 'FAIL'} |")
    return "\n".join(lines)


def log(message: str) -> None:
    print(f"[{datetime.now():%H:%M:%S}] {message}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--project", default=os.environ.get("FAULTS_PROJECT",
                                                             "wpfaults"),
                        help="compose project to break (default wpfaults)")
    parser.add_argument("--prefect-port", type=int, default=14200)
    parser.add_argument("--mlflow-port", type=int, default=15001)
    parser.add_argument("--only", default=",".join(FAULTS),
                        help=f"comma-separated faults (default {','.join(FAULTS)})")
    parser.add_argument("--down", action="store_true",
                        help="`docker compose down -v` the project at the end")
    args = parser.parse_args(argv)
    unknown = set(args.only.split(",")) - set(FAULTS)
    if unknown:  # before prepare(), which takes minutes
        parser.error(f"unknown faults {sorted(unknown)}; "
                     f"choose from {','.join(FAULTS)}")
    stack = Stack(args.project, args.prefect_port, args.mlflow_port)
    started = time.monotonic()
    prepare(stack)
    results = []
    for key in args.only.split(","):
        log(f"fault {key}")
        title, expected, fault = FAULTS[key]
        res = Result(f"{key} {title}", expected)
        try:
            fault(stack, res)
        except Abandoned:
            pass  # its failed check says why
        except Exception as error:  # noqa: BLE001 (report it, go on)
            res.check(False, f"script error in {fault.__name__}: "
                      f"{type(error).__name__}: {error}")
        results.append(res)
        log(f"{key}: {'PASS' if results[-1].ok else 'FAIL'} "
            f"{'; '.join(results[-1].observed)}")
        if not stack.wait_healthy(timeout=60):
            log("healing: docker compose up -d --wait")
            stack.up()
    if args.down:
        stack.compose("down", "-v", timeout=300)
    print(table(results))
    print(f"\n{len(results)} faults in {(time.monotonic() - started) / 60:.1f} min")
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
