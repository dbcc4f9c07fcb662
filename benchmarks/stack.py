"""Figures of the live compose stack, in its own project (default ``wpbench``).

Published on 24200 / 25001 and running its own image tag, so stacks of other
projects (and their ``windpower:local``) are never touched; ``down -v`` at the end.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
import urllib.error
import urllib.request

import probes
from common import ROOT, Figure, load, median, spread

GIB = 2**30
MIB = 2**20
INPROCESS_SCRIPT = """
import json, time
t0 = time.perf_counter()
from pathlib import Path
from kedro.framework.session import KedroSession
from kedro.framework.startup import bootstrap_project
bootstrap_project(Path("/app"))
def run():
    with KedroSession.create(project_path=Path("/app")) as session:
        session.run(pipeline_names=["inference"])
run()
first = time.perf_counter() - t0
run()
print(json.dumps({"first": first, "warm": time.perf_counter() - t0 - first}))
"""


class Stack:
    """``docker compose -p <project>`` with the benchmark's ports and image."""

    def __init__(self, project: str, image: str) -> None:
        self.project, self.image = project, image
        env = dict(os.environ)
        for name in ("SCADA_PATH", "TURBINES_PATH", "FORECAST_PATH"):
            env.pop(name, None)  # set by the in-process sections: not for the stack
        self.env = env | {
            "PREFECT_PORT": "24200", "MLFLOW_PORT": "25001",
            "PREFECT_UI_API_URL": "http://localhost:24200/api",
            "WINDPOWER_IMAGE": image,
        }
        self.prefect_api = "http://127.0.0.1:24200/api"
        self.mlflow_url = "http://127.0.0.1:25001"

    def compose(self, *args: str, check: bool = True, timeout: float = 1800
                ) -> subprocess.CompletedProcess:
        return subprocess.run(
            ["docker", "compose", "-p", self.project, *args], cwd=ROOT, env=self.env,
            capture_output=True, text=True, check=check, timeout=timeout)

    def timed(self, *args: str) -> float:
        start = time.perf_counter()
        self.compose(*args)
        return time.perf_counter() - start

    def measure(self, names: list[str], repeat: int, idle_seconds: int
                ) -> list[Figure]:
        """Run the chosen stack sections in an order that reuses the stack."""
        print(f"stack: building {self.image} (load {load()})", flush=True)
        self.compose("build")
        figures: list[Figure] = []
        try:
            if "first-value" in names:
                figures += self.first_value()
            if "start" in names:
                figures.append(self.start(repeat))
            if "memory" in names:
                figures.append(self.memory(idle_seconds))
            if "orchestration" in names:
                figures.append(self.orchestration(5))
            if "image" in names:
                figures += self.image_figures(repeat)
        finally:
            self.compose("down", "-v", check=False)
        return figures

    # -- first value and start ---------------------------------------------------

    def first_value(self, limit: float = 900) -> list[Figure]:
        """Fresh volumes: ``up`` to the first champion and the first predictions row."""
        self.compose("down", "-v", check=False)
        print(f"stack: first value on fresh volumes (load {load()})", flush=True)
        start = time.perf_counter()
        up = subprocess.Popen(
            ["docker", "compose", "-p", self.project, "up", "-d", "--wait"],
            cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        up_s = champion_s = rows_s = None
        while time.perf_counter() - start < limit and rows_s is None:
            now = time.perf_counter() - start
            if up_s is None and up.poll() is not None:
                up_s = now
            if champion_s is None and self.champion_version() is not None:
                champion_s = now
            if champion_s is not None and self.prediction_rows() > 0:
                rows_s = time.perf_counter() - start
            time.sleep(2)
        up.wait()
        fmt = lambda s: "not within 15 min" if s is None else f"{s:.0f} s"  # noqa: E731
        return [
            Figure("stack start, fresh volumes", fmt(up_s), "≤ 45 s",
                   up_s is not None and up_s <= 45,
                   ["`up -d --wait` on new volumes: database init and migrations"]),
            Figure("first value: champion model", fmt(champion_s), "≤ 3 min",
                   champion_s is not None and champion_s <= 180,
                   ["from `up` on fresh volumes to the `champion` alias in MLflow"]),
            Figure("first value: predictions row", fmt(rows_s), "≤ 5 min",
                   rows_s is not None and rows_s <= 300,
                   ["from `up` on fresh volumes to a row in Postgres `predictions`"]),
        ]

    def champion_version(self) -> str | None:
        url = (f"{self.mlflow_url}/api/2.0/mlflow/registered-models/alias"
               "?name=windpower&alias=champion")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return json.load(response)["model_version"]["version"]
        except (urllib.error.URLError, OSError, KeyError, ValueError):
            return None

    def prediction_rows(self) -> int:
        done = self.compose("exec", "-T", "postgres", "psql", "-U", "postgres", "-d",
                            "windpower", "-tAc", "select count(*) from predictions",
                            check=False, timeout=60)
        return int(done.stdout.strip() or 0) if done.returncode == 0 else 0

    def start(self, repeat: int) -> Figure:
        """``up -d --wait`` wall time with images built and volumes kept."""
        times = []
        for _ in range(repeat):
            self.compose("down")
            times.append(self.timed("up", "-d", "--wait"))
            print(f"  up -d --wait: {times[-1]:.1f} s", flush=True)
        return Figure("stack start, images built", f"{median(times):.1f} s", "≤ 45 s",
                      median(times) <= 45,
                      [f"`down` then `up -d --wait`, volumes kept: {spread(times)}"])

    # -- memory, orchestration, image ---------------------------------------------

    def memory(self, idle_seconds: int) -> Figure:
        """Sum of ``docker stats`` of every container, ``idle_seconds`` after start."""
        self.compose("down")
        self.compose("up", "-d", "--wait")
        time.sleep(idle_seconds)
        samples = [probes.memory_by_service(self.project) for _ in range(3)]
        total = median([sum(s.values()) for s in samples])
        mlflow = median([s.get("mlflow", 0.0) for s in samples])
        per = ", ".join(f"{k} {v / MIB:.0f} MiB"
                        for k, v in sorted(samples[-1].items()))
        return Figure(
            "stack memory at idle", f"{total / GIB:.2f} GiB total; MLflow "
            f"{mlflow / MIB:.0f} MiB", "≤ 1.5 GiB; MLflow ≤ 400 MiB",
            total <= 1.5 * GIB and mlflow <= 400 * MIB,
            [f"{idle_seconds} s after `up -d --wait`, median of 3 samples: {per}"])

    def orchestration(self, runs: int) -> Figure:
        """Prefect API run to COMPLETED minus the same pipeline run in-process."""
        self.compose("up", "-d", "--wait")  # no-op when the stack is up
        probes.wait_for_champion(self.champion_version)
        inproc = [json.loads(self.compose(
            "exec", "-T", "inference-flow", "python", "-c", INPROCESS_SCRIPT
        ).stdout.strip().splitlines()[-1]) for _ in range(runs)]
        first = [r["first"] for r in inproc]
        warm = [r["warm"] for r in inproc]
        api = probes.prefect_runs(self.prefect_api, "inference-flow/inference-flow",
                                  runs)
        total = [r["total"] for r in api]
        overhead = median(total) - median(first)
        return Figure(
            "orchestration overhead", f"{overhead:.1f} s", "≤ 3 s", overhead <= 3,
            [f"through the Prefect API to COMPLETED: {spread(total)}",
             "of which: created to picked up by the runner "
             f"{spread([r['picked'] for r in api])}; to its process running "
             f"{spread([r['spawned'] for r in api])}; running to completed "
             f"{spread([r['running'] for r in api])}",
             f"same pipeline in a fresh process (imports + run): {spread(first)}",
             f"same pipeline again in that warm process: {spread(warm)}",
             "overhead against the warm process: "
             f"{median(total) - median(warm):.1f} s"])

    def image_figures(self, repeat: int) -> list[Figure]:
        """Image size; ``docker compose build`` after a change under src/."""
        size = int(subprocess.run(
            ["docker", "image", "inspect", "-f", "{{.Size}}", self.image],
            capture_output=True, text=True, check=True).stdout)
        times = []
        for _ in range(repeat):
            with probes.source_change(ROOT / "src" / "windpower" / "__init__.py"):
                times.append(self.timed("build"))
            print(f"  warm rebuild: {times[-1]:.1f} s", flush=True)
        self.compose("build")  # back to the image of the unchanged tree
        return [
            Figure("image size", f"{size / 1e9:.2f} GB ({size / GIB:.2f} GiB)",
                   "≤ 1.2 GB", size <= 1.2e9, [f"`docker image inspect` {self.image}"]),
            Figure("warm rebuild, source-only change", f"{median(times):.1f} s",
                   "≤ 20 s", median(times) <= 20,
                   [f"`docker compose build` after editing a file under src/: "
                    f"{spread(times)}"]),
        ]
