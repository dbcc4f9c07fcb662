"""Fleet benchmark: demo farms of 6, 50 and 200 turbines in all, a year of
readings each, through every stage the platform runs (issue 15). Not in CI.

  docker compose run --rm -v "$PWD/docs:/app/docs" -e COMMIT=$(git rev-parse \\
      --short HEAD) trainer python benchmarks/fleet.py [--turbines 6,50,200] \\
      [--sites 1]

``--sites K`` splits each fleet into K sites (``fleet-1`` ...: their own seed,
weather and model), each stage running every site in turn, as a flow run per
site would. ``--jobs N`` runs ingest, data processing and training as N
processes at once, each taking every N-th site in turn: what N process workers do
with the per-site runs of a fan-out (the stage's time is then the wall time of
all N, its memory the sum of their peaks).

A throwaway Postgres (testcontainers) and, per fleet, a sqlite MLflow store and a
copy of the project's conf/base. Each stage runs in its own Python process, as a
flow run does, so its peak memory (ru_maxrss, imports included) is its own:

- ingest: the ingest flow's demo-farm tasks (generate and load a year of 10-min
  readings in 30-day chunks, then 30 days of weather-forecast issues: the
  archive the forecaster learns from);
- data processing, training: the Kedro pipelines, as training-flow runs them;
- inference: the champion over one forecast issue (turbines x 48 h), for each
  of the four newest issues (the median is the figure);
- monitoring: one day of forecasts against actuals (window_days = 1).

Writes the table into docs/scale.md (between the fleet-benchmark markers) with
date, commit, machine and load, and prints it.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

from common import ROOT, load, machine

from windpower.orchestration.internals import MLFLOW_ARTIFACT_ROOT_ENV

AS_OF = "2026-11-01T00:00:00+00:00"
# Days of weather-forecast issues stored (the forecaster's archive; the champion
# gate needs enough held-out issues to judge every lead band). Inference scores
# the newest four.
FORECAST_DAYS = 30
STAGES = ("ingest", "data_processing", "training", "inference", "monitoring")
# The stages --jobs runs as several processes at once (a site's ingest and
# training runs: a run without a site fans out one run per site).
PARALLEL_STAGES = ("ingest", "data_processing", "training")
# Targets on this 2-core machine (seconds; training: with data processing, for
# every site): 200 turbines x 1 year in one site (issue 15), and a fleet of
# 1,000 turbines (issue 32: 10 sites x 100).
TARGETS = {
    200: {"ingest": 120.0, "training": 300.0, "inference": 5.0, "monitoring": 10.0},
    1000: {"ingest": 300.0, "training": 900.0, "inference": 30.0, "monitoring": 60.0},
}
TRAINING_MEMORY_GIB = 6.0
BEGIN, END = "<!-- fleet-benchmark:begin -->", "<!-- fleet-benchmark:end -->"


# --- one stage, in its own process --------------------------------------------

def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


NODE_SECONDS: dict[str, float] = defaultdict(float)
NODE_PEAK_RISE: dict[str, float] = defaultdict(float)


def _session_run(project: Path, pipeline: str, **runtime) -> float:
    from inprocess import NodeTimer  # noqa: PLC0415
    from kedro.framework.session import KedroSession  # noqa: PLC0415

    with KedroSession.create(project_path=project, runtime_params=runtime) as session:
        timer = NodeTimer()
        timer.seconds = NODE_SECONDS  # summed over the stage's runs
        timer.peak_rise_mib = NODE_PEAK_RISE
        session._hook_manager.register(timer)
        start = time.perf_counter()
        session.run(pipeline_names=[pipeline])
        return time.perf_counter() - start


def fleet_sites(turbines: int, sites: int) -> list:
    """The fleet's demo sites: ``turbines`` split evenly over ``sites``."""
    from windpower.demo_farm import DemoFarm, DemoSite  # noqa: PLC0415

    return [DemoSite(f"fleet-{i + 1}", f"Fleet site {i + 1}",
                     DemoFarm(seed=42 + i, n_turbines=turbines // sites))
            for i in range(sites)]


def stage_ingest(demos: list) -> dict:
    import pandas as pd  # noqa: PLC0415

    from windpower.orchestration.flows.demo import (  # noqa: PLC0415
        stream_demo_forecasts,
        stream_demo_readings,
    )
    from windpower.orchestration.kedro.session import (  # noqa: PLC0415
        load_parameters,
    )

    as_of = pd.Timestamp(AS_OF)
    rules = load_parameters()["data_processing"]
    params = {"forecast_every_hours": 6, "forecast_hours": 48,
              "history_days": FORECAST_DAYS}
    start, readings_s, results = time.perf_counter(), 0.0, []
    for demo in demos:
        began = time.perf_counter()
        results += stream_demo_readings.fn(demo, 365, as_of, rules)
        readings_s += time.perf_counter() - began
        issued = stream_demo_forecasts.fn(demo, params, as_of, rules)["issued"]
    return {"seconds": time.perf_counter() - start, "readings_seconds": readings_s,
            "rows": sum(r["rows_written"] for r in results if r["kind"] == "scada"),
            "issues": issued}


def stage_pipeline(project: Path, pipeline: str, issues: list[str],
                   sites: list[str], no_champion: list[str]) -> dict:
    """The stage for every site in turn (inference: every site per issue; the
    sites without a champion have nothing to infer or monitor)."""
    if pipeline == "inference":  # one run per issue and site, newest last
        from windpower.errors import NoChampionError  # noqa: PLC0415

        champions = list(sites)
        for site in sites:  # a site whose first model lost its gate has none
            try:
                _session_run(project, "inference", as_of=issues[0], site=site)
            except NoChampionError:
                champions.remove(site)
        times = [sum(_session_run(project, "inference", as_of=issue, site=site)
                     for site in champions) for issue in issues]
        ordered = sorted(times)
        return {"seconds": ordered[len(ordered) // 2], "all": times,
                "no_champion": sorted(set(sites) - set(champions))}
    runtime = {"as_of": AS_OF}
    if pipeline == "monitoring":
        runtime["monitoring"] = {"window_days": 1}
        sites = [site for site in sites if site not in no_champion]
    return {"seconds": sum(_session_run(project, pipeline, site=site, **runtime)
                           for site in sites)}


def run_stage(args: argparse.Namespace) -> int:
    """Child process: one stage; prints its figures as one JSON line."""
    os.chdir(args.project.parent)  # MLflow's sqlite store and artifacts live there
    share = fleet_sites(args.fleet, args.sites)[args.share::args.jobs]
    if args.stage == "ingest":
        result = stage_ingest(share)
    else:
        from kedro.framework.startup import bootstrap_project  # noqa: PLC0415

        bootstrap_project(args.project)
        result = stage_pipeline(args.project, args.stage, json.loads(args.issues),
                                [s.site_id for s in share],
                                json.loads(args.no_champion))
    slowest = sorted(NODE_SECONDS.items(), key=lambda kv: -kv[1])[:3]
    hungriest = sorted(NODE_PEAK_RISE.items(), key=lambda kv: -kv[1])[:3]
    print(json.dumps(result | {"peak_mib": _peak_mib(), "nodes": slowest,
                               "memory_nodes": hungriest}))
    return 0


# --- the driver ---------------------------------------------------------------

def make_project(tmp: Path) -> Path:
    """A copy of conf/base (outputs under ``tmp``), as benchmarks/inprocess.py."""
    project = tmp / "project"
    shutil.copytree(ROOT / "conf" / "base", project / "conf" / "base")
    (project / "conf" / "local").mkdir()
    (project / "src").mkdir()  # the package itself is installed
    shutil.copy(ROOT / "pyproject.toml", project / "pyproject.toml")
    return project


def empty_store(url: str) -> None:
    import psycopg2  # noqa: PLC0415

    from windpower.store import migrate  # noqa: PLC0415

    conn = psycopg2.connect(url)
    try:
        migrate(conn)
        with conn, conn.cursor() as cur:
            cur.execute("TRUNCATE turbines, readings, weather_forecasts, predictions,"
                        " forecast_quality, rejected_rows, ingested_files, sites")
    finally:
        conn.close()


def _run_shares(command: list[str], shares: int, env: dict, what: str) -> dict:
    """The stage as ``shares`` processes at once (each every N-th site); their
    figures combined: peak memory summed, the slowest share's seconds."""
    running = [subprocess.Popen([*command, "--jobs", str(shares), "--share", str(j)],
                                env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
               for j in range(shares)]
    results = []
    for process in running:
        out, err = process.communicate()
        if process.returncode:
            raise RuntimeError(f"{what} turbines failed:\n{err[-3000:]}")
        results.append(json.loads(out.strip().splitlines()[-1]))
    combined = max(results, key=lambda r: r["seconds"])
    summed = {key: sum(r[key] for r in results) for key in ("peak_mib", "rows")
              if key in combined}
    return combined | summed


def measure_fleet(turbines: int, url: str, sites: int = 1, jobs: int = 1,
                  stages: tuple[str, ...] = STAGES) -> dict[str, dict]:
    """The stages for one fleet size, each in a fresh process."""
    empty_store(url)
    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="wpfleet-") as tmp:
        project = make_project(Path(tmp))
        # Every experiment's artifacts under tmp, the default one's included: it
        # is made with the schema, and the working directory (/app in the image)
        # is read-only.
        os.environ[MLFLOW_ARTIFACT_ROOT_ENV] = str(Path(tmp) / "mlartifacts")
        env = {**os.environ, "WINDPOWER_DB_URL": url,
               "MLFLOW_TRACKING_URI": mlflow_store(url, turbines),
               "KEDRO_LOGGING_CONFIG": str(quiet_logging(Path(tmp)))}
        env.pop("MLFLOW_TRACKING_USERNAME", None)
        issues: list[str] = []
        no_champion: list[str] = []
        for stage in stages:
            command = [sys.executable, __file__, "--stage", stage, "--fleet",
                       str(turbines), "--sites", str(sites), "--project",
                       str(project), "--issues", json.dumps(issues),
                       "--no-champion", json.dumps(no_champion)]
            shares = jobs if stage in PARALLEL_STAGES else 1
            started = time.perf_counter()
            result = _run_shares(command, shares, env, f"{stage} at {turbines}")
            result |= {"process_seconds": time.perf_counter() - started,
                       "load": load()}
            if shares > 1:  # the N processes together: their wall time
                result["seconds"] = result["process_seconds"]
            result["shares"] = shares
            issues = result.get("issues", issues)
            no_champion = result.get("no_champion", no_champion)
            results[stage] = result
            print(f"  {turbines} turbines, {stage}: {result['seconds']:.1f} s, peak "
                  f"{result['peak_mib']:,.0f} MiB (load {result['load']})", flush=True)
    return results


def mlflow_store(url: str, turbines: int) -> str:
    """A new MLflow database beside the windpower one (Postgres: --jobs runs write
    to it at once), its schema made here, before any stage runs."""
    import mlflow  # noqa: PLC0415
    import psycopg2  # noqa: PLC0415

    name = f"mlflow_{turbines}_{int(time.time())}"
    conn = psycopg2.connect(url)
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(f"CREATE DATABASE {name}")
    finally:
        conn.close()
    uri = url.replace("postgresql://", "postgresql+psycopg2://").rsplit("/", 1)[0]
    mlflow.MlflowClient(f"{uri}/{name}").search_experiments()
    return f"{uri}/{name}"


def quiet_logging(tmp: Path) -> Path:
    path = tmp / "logging.yml"
    path.write_text("version: 1\ndisable_existing_loggers: false\n"
                    "root: {level: WARNING}\n")
    return path


def start_postgres():
    from testcontainers.core.container import DockerContainer  # noqa: PLC0415
    from testcontainers.core.wait_strategies import ExecWaitStrategy  # noqa: PLC0415

    container = (DockerContainer("postgres:17").with_env("POSTGRES_PASSWORD", "bench")
                 .with_exposed_ports(5432)
                 .waiting_for(ExecWaitStrategy(["pg_isready", "-h", "127.0.0.1"])))
    container.start()
    host, port = container.get_container_host_ip(), container.get_exposed_port(5432)
    return container, f"postgresql://postgres:bench@{host}:{port}/postgres"


def _cell(result: dict) -> str:
    return f"{result['seconds']:.1f} s, {result['peak_mib'] / 1024:.2f} GiB"


def _verdict(stage: str, results: dict[int, dict]) -> str:
    return "; ".join(f"at {n}: {_verdict_at(n, stage, results[n])}"
                     for n in TARGETS if n in results and stage in TARGETS[n])


def _verdict_at(n: int, stage: str, result: dict) -> str:
    seconds = result[stage]["seconds"]
    target = f"≤ {TARGETS[n][stage]:.0f} s"
    if stage == "training":
        # A training run does both stages: judged on their sum and larger peak.
        processing = result["data_processing"]
        seconds += processing["seconds"]
        memory = max(result[stage]["peak_mib"], processing["peak_mib"]) / 1024
        met = seconds <= TARGETS[n][stage] and memory <= TRAINING_MEMORY_GIB
        target = (f"with data processing {seconds:.0f} s (≤ {TARGETS[n][stage]:.0f}"
                  f" s), peak {memory:.2f} GiB (≤ {TRAINING_MEMORY_GIB:.0f} GiB)")
    else:
        met = seconds <= TARGETS[n][stage]
    return f"{target}: {'met' if met else '**not met**'}"


def _growth(stage: str, results: dict[int, dict]) -> str:
    """Time ratio for the turbine ratio between consecutive fleets."""
    sizes = sorted(results)
    return "; ".join(
        f"x{results[b][stage]['seconds'] / results[a][stage]['seconds']:.1f} for "
        f"x{b / a:.1f} turbines" for a, b in zip(sizes, sizes[1:]))


def table(results: dict[int, dict], header: str) -> str:
    sizes = sorted(results)
    lines = [header, "",
             "| stage | " + " | ".join(f"{n} turbines" for n in sizes)
             + " | growth (time) | target |",
             "|---|" + "---|" * (len(sizes) + 2)]
    stages = [s for s in STAGES if all(s in results[n] for n in sizes)]
    for stage in stages:
        cells = " | ".join(_cell(results[n][stage]) for n in sizes)
        lines.append(f"| {stage.replace('_', ' ')} | {cells} | "
                     f"{_growth(stage, results)} | {_verdict(stage, results)} |")
    lines += ["", "Wall time of the stage's work (inference: median over the "
              "four newest issues) and peak memory of its process "
              "(imports included). Per fleet:", ""]
    for n in sizes:
        r = results[n]
        inference = r.get("inference")
        lines.append(
            f"- {n} turbines: {r['ingest']['rows']:,} readings stored "
            f"({r['ingest']['readings_seconds']:.1f} s of the ingest"
            + (f", the slowest of {r['ingest']['shares']} processes"
               if r["ingest"].get("shares", 1) > 1 else "") + ")"
            + (f"; inference runs {', '.join(f'{s:.1f}' for s in inference['all'])}"
               " s (sites without a champion, not timed: "
               f"{', '.join(inference.get('no_champion', [])) or 'none'})"
               if inference else "")
            + "; load (1/5/15 min) at each stage: "
            + ", ".join(f"{s} {r[s]['load']}" for s in stages)
            + (("; slowest nodes: "
                + ", ".join(f"{name} {sec:.1f} s" for s in stages[1:]
                            for name, sec in r[s]["nodes"])
                + "; nodes raising the peak memory most: "
                + ", ".join(f"{name} +{mib:,.0f} MiB" for s in stages[1:]
                            for name, mib in r[s].get("memory_nodes", [])))
               if stages[1:] else "") + ".")
    return "\n".join(lines)


def write_into(path: Path, text: str) -> None:
    """Replace the part between the markers of ``path`` (or append it)."""
    old = path.read_text() if path.exists() else ""
    block = f"{BEGIN}\n{text}\n{END}"
    if BEGIN in old and END in old:
        new = old[:old.index(BEGIN)] + block + old[old.index(END) + len(END):]
    else:
        new = old.rstrip() + "\n\n" + block + "\n"
    path.write_text(new)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turbines", default="6,50,200")
    parser.add_argument("--sites", type=int, default=1,
                        help="sites each fleet is split into")
    parser.add_argument("--jobs", type=int, default=1,
                        help="processes at once for ingest, data processing and "
                        "training")
    parser.add_argument("--until", choices=STAGES, default=STAGES[-1],
                        help="the last stage to run (each needs those before it)")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "scale.md")
    parser.add_argument("--share", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--stage", choices=STAGES, help=argparse.SUPPRESS)
    parser.add_argument("--fleet", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--project", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--issues", default="[]", help=argparse.SUPPRESS)
    parser.add_argument("--no-champion", default="[]", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.stage:
        return run_stage(args)
    started = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    start_load = load()
    print(f"machine: {machine()}\nload at start: {start_load}", flush=True)
    container, url = start_postgres()
    results: dict[int, dict] = {}
    try:
        for n in (int(n) for n in args.turbines.split(",")):
            stages = STAGES[:STAGES.index(args.until) + 1]
            results[n] = measure_fleet(n, url, args.sites, args.jobs, stages)
            # Written after each fleet: a long run stopped later keeps what it has.
            header = (f"Measured by `benchmarks/fleet.py --sites {args.sites} "
                      f"--jobs {args.jobs}` on "
                      f"{started}, commit "
                      f"{os.environ.get('COMMIT', 'unknown')}; machine: {machine()}; "
                      f"load (1/5/15 min) at start {start_load}, after the last "
                      f"fleet {load()}.")
            text = table(results, header)
            print("\n" + text, flush=True)  # first: a docs file it cannot write
            write_into(args.out, text)      # loses nothing
    finally:
        container.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
