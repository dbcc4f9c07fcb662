"""Server-side time of the forecast page's handlers, for 6 and 1,000 turbines.

  python benchmarks/forecast_page.py            # prints, and writes the table
                                                # into docs/forecast-page.md

A throwaway postgres:17 (testcontainers, initialised as compose does) is
migrated and seeded with the fixture farm (tests/forecast_ui/fixture_farm.py):
a 6-turbine site with issues every 3 h over 48 h, and a 1,000-turbine site with
two issues 24 h apart; each with 48 h of readings before the newest issue and
48 h of 10-minute predictions per issue (about 0.6 M prediction rows). Each page
and API call is made 5 times through the app as the reader role (in process:
no network, no browser); median and worst are printed. The promise is <= 1 s.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pandas as pd  # noqa: E402
import psycopg2  # noqa: E402
from common import ROOT, commit, load, write_block  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402

from tests.forecast_ui import fixture_farm  # noqa: E402
from tests.forecast_ui.conftest import Seeded, _start  # noqa: E402
from windpower.forecast_ui.app import create_app  # noqa: E402
from windpower.store import migrate  # noqa: E402

SITES = {"six": {"name": "Six turbines", "seed": 11, "turbines": 6,
                 "farm_total": True, "forecast_age_h": 0, "every": 3},
         "thousand": {"name": "1,000 turbines", "seed": 12, "turbines": 1000,
                      "farm_total": True, "forecast_age_h": 0, "every": 24}}
REPEATS = 5


def _seed(seeded: Seeded) -> None:
    conn = psycopg2.connect(seeded.url("windpower"), options="-c TimeZone=UTC")
    migrate(conn)
    for site, spec in SITES.items():
        started = time.monotonic()
        fixture_farm.seed(conn, seeded.now, {site: spec},
                          issue_every_h=spec["every"], history_h=24 if
                          spec["turbines"] > 100 else 48)
        print(f"seeded {site}: {time.monotonic() - started:.0f} s", flush=True)
    with conn.cursor() as cur:
        cur.execute("ANALYZE")
    conn.commit()
    conn.close()


def _time(client: TestClient, path: str) -> tuple[float, float]:
    seconds = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        response = client.get(path)
        seconds.append(time.perf_counter() - started)
        assert response.status_code == 200, (path, response.text[:200])
    return statistics.median(seconds), max(seconds)


def main() -> int:
    password = uuid.uuid4().hex
    container = _start(password)
    try:
        seeded = Seeded(f"{container.get_container_host_ip()}:"
                        f"{container.get_exposed_port(5432)}", password,
                        pd.Timestamp.now(tz="UTC").floor("10min"))
        _seed(seeded)
        os.environ["FORECAST_UI_DB_URL"] = seeded.url("windpower_reader")
        os.environ.pop("MLFLOW_TRACKING_URI", None)
        client = TestClient(create_app())
        lines = ["| handler | 6 turbines: median / worst | 1,000 turbines: "
                 "median / worst |", "|---|---|---|"]
        for label, path in [("overview", "/"), ("farm page", "/sites/{s}"),
                            ("turbine page", "/sites/{s}/turbines/T0001"),
                            ("quality page", "/sites/{s}/quality"),
                            ("farm CSV", "/api/sites/{s}/forecast?format=csv")]:
            cells = []
            for site, spec in SITES.items():
                turbine = "T01" if spec["turbines"] < 100 else "T001"
                median, worst = _time(client, path.format(s=site).replace(
                    "T0001", turbine))
                cells.append(f"{median * 1000:.0f} ms / {worst * 1000:.0f} ms")
            lines.append(f"| {label} | {' | '.join(cells)} |")
            print(lines[-1], flush=True)
    finally:
        container.stop()
    body = "\n".join([f"Measured {pd.Timestamp.now(tz='UTC'):%Y-%m-%d %H:%M} UTC, "
                      f"commit {commit()}, load {load()}, {REPEATS} calls each:",
                      "", *lines])
    write_block(ROOT / "docs" / "forecast-page.md", "benchmarks/forecast_page.py",
                body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
