"""Ingest benchmark: 1M SCADA rows from one file into Postgres, then again.

  docker compose up -d --wait postgres
  docker compose run --rm -e GIT_COMMIT=$(git rev-parse --short HEAD) \\
      trainer python benchmarks/ingest.py

  # and write the figures into docs/performance.md (as root: the file is yours)
  docker compose run --rm -e GIT_COMMIT=$(git rev-parse --short HEAD) \\
      -v "$PWD/docs:/app/docs" --entrypoint python \\
      trainer benchmarks/ingest.py --docs docs/performance.md

Prints rows/s of ``upsert_frame`` (the bulk load alone), of ``ingest_file``
(read, contract checks and load) and of ``read_readings``, and the rows that a
second ingest of the same file adds (skipped by checksum) and that the same rows
under another name write through the upsert: both must be 0. With ``--docs``
it replaces the block between its markers in that Markdown file by a table of
these figures. Uses $WINDPOWER_DB_URL (the compose service).
It empties the store's input tables first: never point it at a database you keep.
"""

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from common import commit, write_block

from windpower.orchestration.kedro.session import load_parameters
from windpower.store import connect, migrate
from windpower.store.ingest import ingest_file, ingest_frame
from windpower.store.load import upsert_frame
from windpower.store.readers import read_readings

AS_OF = pd.Timestamp("2026-06-01T00:00:00Z")
# The row rules as a run loads them (conf/base).
RULES = load_parameters()["data_processing"]
SITE = "default"  # files and frames that name no site go here
TABLES = "turbines, readings, weather_forecasts, rejected_rows, ingested_files"


def context() -> str:
    with open("/proc/loadavg") as fh:
        load = fh.read().strip()
    stamp = pd.Timestamp.now(tz="UTC").strftime("%Y-%m-%d %H:%M UTC")
    return f"{stamp}, commit {commit()}, /proc/loadavg {load}"


def make_data(rows: int, turbines: int, seed: int = 1) -> tuple[pd.DataFrame, ...]:
    """A turbine table and ``rows`` plausible SCADA rows (10-min, all turbines)."""
    rng = np.random.default_rng(seed)
    ids = [f"WTG{i:03d}" for i in range(turbines)]
    table = pd.DataFrame({"turbine_id": ids, "rated_power_kw": 3000.0,
                          "hub_height_m": 100.0, "rotor_diameter_m": 120.0})
    steps = rows // turbines
    times = pd.date_range(end=AS_OF - pd.Timedelta(hours=1), periods=steps,
                          freq="10min")
    wind = rng.weibull(2.0, steps * turbines) * 8
    scada = pd.DataFrame({
        "timestamp": np.repeat(times, turbines), "turbine_id": ids * steps,
        "wind_speed": wind.round(2), "wind_direction": rng.uniform(0, 360, wind.size
                                                                   ).round(1),
        "ambient_temperature": rng.normal(10, 6, wind.size).round(2),
        "power_kw": np.clip(3000 * (wind / 12) ** 3, 0, 3000).round(1),
        "pitch_angle": rng.uniform(0, 5, wind.size).round(2)})
    return table, scada


def load_1min() -> str:
    with open("/proc/loadavg") as fh:
        return fh.read().split()[0]


def timed(label: str, rows: int, action) -> tuple[object, dict]:
    """Run ``action``; print and return its figure (seconds, rows/s, load)."""
    start = time.perf_counter()
    result = action()
    seconds = time.perf_counter() - start
    print(f"{label}: {rows:,} rows in {seconds:.2f} s = {rows / seconds:,.0f} rows/s"
          f"  [{context()}]")
    return result, {"seconds": seconds, "rate": rows / seconds, "load": load_1min()}


def markdown(figures: dict, results: list) -> str:
    """The figures as the table that --docs writes."""
    first, second, third = results
    up, ing, again, read = (figures[k] for k in ("upsert", "ingest", "renamed",
                                                  "read"))
    met = "met" if ing["rate"] >= 200_000 else "**not met**"
    rows = [
        ("bulk load of 1M new readings (`upsert_frame`)",
         f"{up['seconds']:.2f} s, {up['rate']:,.0f} rows/s", "", up["load"]),
        ("ingest of a 1M-row Parquet file (read, contract, load)",
         f"{ing['seconds']:.2f} s, {ing['rate']:,.0f} rows/s",
         f"≥ 200k rows/s: {met}", ing["load"]),
        ("the same file again", f"{second.status}, {second.rows_written} rows", "0",
         ing["load"]),
        ("the same rows under another name (CSV.gz)",
         f"{again['seconds']:.2f} s, {third.rows_written} rows written", "0",
         again["load"]),
        ("read 300k readings (`read_readings`)", f"{read['seconds']:.2f} s", "",
         read["load"])]
    lines = [f"Written by `benchmarks/ingest.py` at {context()}; "
             f"first file: {first.status}, {first.rows_accepted:,} rows accepted, "
             f"{first.rows_written:,} written.", "",
             "| figure | measured | target | load (1 min) |", "|---|---|---|---|"]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--turbines", type=int, default=100)
    parser.add_argument("--docs", type=Path, help="Markdown file to write into")
    args = parser.parse_args()
    conn = connect()
    migrate(conn)
    with conn, conn.cursor() as cur:
        cur.execute(f"TRUNCATE {TABLES}")
    turbines, scada = make_data(args.rows, args.turbines)
    ingest_frame(conn, "turbines", turbines, "benchmark", AS_OF, params=RULES)
    key = ["site_id", "turbine_id", "timestamp"]
    scada = scada.assign(site_id=SITE)
    figures = {}
    written, figures["upsert"] = timed(
        "upsert_frame, new rows", len(scada),
        lambda: upsert_frame(conn, "readings", scada, key))
    conn.commit()
    again, _ = timed("upsert_frame, same rows", len(scada),
                     lambda: upsert_frame(conn, "readings", scada, key))
    conn.commit()
    print(f"  rows written: first {written:,}, second {again:,} (must be 0)")
    with conn, conn.cursor() as cur:
        cur.execute("TRUNCATE readings")
    folder = Path(tempfile.mkdtemp(prefix="ingest-bench-"))
    try:
        path = folder / "scada.parquet"
        scada.to_parquet(path, index=False)
        first, figures["ingest"] = timed(
            f"ingest_file {path.name}", len(scada),
            lambda: ingest_file(conn, path, AS_OF, params=RULES))
        second = ingest_file(conn, path, AS_OF, params=RULES)
        renamed = folder / "scada_copy.csv.gz"
        scada.to_csv(renamed, index=False)
        third, figures["renamed"] = timed(
            f"ingest_file {renamed.name} (same rows)", len(scada),
            lambda: ingest_file(conn, renamed, AS_OF, params=RULES))
    finally:
        shutil.rmtree(folder)
    for result in (first, second, third):
        print(f"  {result.name}: {result.status}, accepted {result.rows_accepted:,}, "
              f"rejected {result.rows_rejected:,}, new or changed rows "
              f"{result.rows_written:,}")
    window = scada["timestamp"].iloc[-min(300_000, len(scada))]
    _, figures["read"] = timed("read_readings, last 300k rows",
                               min(300_000, len(scada)),
                               lambda: read_readings(conn, SITE, window, None))
    if args.docs:
        block = markdown(figures, [first, second, third])
        write_block(args.docs, "benchmarks/ingest.py", block)


if __name__ == "__main__":
    main()
