"""Small probes of the running stack: memory, Prefect runs, a source change."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

UNITS = {"B": 1, "KiB": 2**10, "MiB": 2**20, "GiB": 2**30,
         "kB": 1e3, "MB": 1e6, "GB": 1e9}


def to_bytes(text: str) -> float:
    """``123.4MiB`` to bytes."""
    for unit in sorted(UNITS, key=len, reverse=True):
        if text.endswith(unit):
            return float(text[: -len(unit)]) * UNITS[unit]
    return float(text)


def memory_by_service(project: str) -> dict[str, float]:
    """Bytes used per compose service of ``project`` (``docker stats``)."""
    listed = subprocess.run(
        ["docker", "ps", "--filter", f"label=com.docker.compose.project={project}",
         "--format", '{{.Names}}\t{{.Label "com.docker.compose.service"}}'],
        capture_output=True, text=True, check=True).stdout.split("\n")
    services = dict(line.split("\t") for line in listed if line.strip())
    stats = subprocess.run(
        ["docker", "stats", "--no-stream", "--format", "{{.Name}}\t{{.MemUsage}}",
         *services], capture_output=True, text=True, check=True).stdout.split("\n")
    usage: dict[str, float] = {}
    for line in filter(None, stats):
        name, mem = line.split("\t")
        service = services[name]
        usage[service] = usage.get(service, 0.0) + to_bytes(mem.split("/")[0].strip())
    return usage


def wait_for_champion(version: Callable[[], str | None], limit: float = 900) -> str:
    """Block until the registry has a champion (training runs at first start)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        found = version()
        if found is not None:
            return found
        time.sleep(5)
    raise TimeoutError("no champion model within 15 minutes")


def prefect_runs(api_url: str, deployment: str, runs: int) -> list[dict]:
    """Create ``runs`` runs of ``deployment`` one after the other; time each.

    ``total`` is the client's wall time from the create call to seeing COMPLETED
    (polled every 0.1 s); from the run's states: ``picked`` created to PENDING (the
    runner's poll), ``spawned`` PENDING to RUNNING (the run's process starts),
    ``running`` RUNNING to COMPLETED.
    """
    from prefect.client.orchestration import get_client  # noqa: PLC0415
    from prefect.settings import PREFECT_API_URL, temporary_settings  # noqa: PLC0415

    results = []
    with temporary_settings({PREFECT_API_URL: api_url}):
        with get_client(sync_client=True) as client:
            target = client.read_deployment_by_name(deployment)
            for _ in range(runs):
                start = time.perf_counter()
                run = client.create_flow_run_from_deployment(target.id)
                while not (run.state and run.state.is_final()):
                    time.sleep(0.1)
                    run = client.read_flow_run(run.id)
                total = time.perf_counter() - start
                if not run.state.is_completed():
                    raise RuntimeError(f"{deployment} run ended {run.state.type}")
                at = {state.type.value: state.timestamp.timestamp() for state in
                      client.read_flow_run_states(run.id)}
                phases = {"total": total,
                          "picked": at["PENDING"] - run.created.timestamp(),
                          "spawned": at["RUNNING"] - at["PENDING"],
                          "running": at["COMPLETED"] - at["RUNNING"]}
                results.append(phases)
                print("  " + ", ".join(f"{k} {v:.1f} s" for k, v in phases.items()),
                      flush=True)
    return results


@contextmanager
def source_change(path: Path) -> Iterator[None]:
    """Append a comment to ``path`` for the body, then restore bytes and times."""
    original, stat = path.read_bytes(), path.stat()
    try:
        path.write_bytes(original + f"# benchmark rebuild {time.time()}\n".encode())
        yield
    finally:
        path.write_bytes(original)
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
