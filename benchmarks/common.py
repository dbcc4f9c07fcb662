"""What every benchmark section shares: a measured figure, the machine, the table."""

from __future__ import annotations

import os
import platform
import re
import statistics
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def load() -> str:
    """The machine's 1/5/15-minute load averages, as ``uptime`` shows them."""
    return "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def commit() -> str:
    """The code's git commit; in the image, which has no git, ``$GIT_COMMIT``."""
    try:
        done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                              check=False, capture_output=True, text=True)
        found = done.stdout.strip()
    except FileNotFoundError:
        found = ""
    return found or os.environ.get("GIT_COMMIT") or "unknown"


def write_block(path: Path, writer: str, body: str) -> None:
    """Put ``body`` between ``<!-- {writer} writes from here -->`` and the next
    ``<!-- to here -->`` in ``path``: a script's figures, never pasted by hand."""
    start, end = f"<!-- {writer} writes from here -->", "<!-- to here -->"
    text = path.read_text()
    pattern = re.compile(re.escape(start) + ".*?" + re.escape(end), re.DOTALL)
    if not pattern.search(text):
        raise SystemExit(f"{path}: no block {start} ... {end} to replace")
    path.write_text(pattern.sub(lambda _: f"{start}\n\n{body.strip()}\n\n{end}", text))
    print(f"wrote the figures to {path}")  # noqa: T201, a script's report


def median(values: list[float]) -> float:
    return float(statistics.median(values))


def spread(values: list[float], unit: str = "s", digits: int = 1) -> str:
    """``median (min-max, n=k)`` of a list of timings."""
    fmt = f"{{:.{digits}f}}"
    return (f"{fmt.format(median(values))} {unit} (min {fmt.format(min(values))}, "
            f"max {fmt.format(max(values))}, n={len(values)})")


@dataclass
class Figure:
    """One row of the results table, with the load it was measured under."""

    figure: str
    measured: str
    target: str
    met: bool | None
    details: list[str] = field(default_factory=list)
    load: str = field(default_factory=load)


def machine() -> str:
    """Cores, memory, CPU model and Python: the context every figure needs."""
    mem_kib = 0
    cpu = platform.processor() or platform.machine()
    with open("/proc/meminfo") as fh:
        for line in fh:
            if line.startswith("MemTotal:"):
                mem_kib = int(line.split()[1])
    with open("/proc/cpuinfo") as fh:
        names = [ln.split(":", 1)[1].strip() for ln in fh
                 if ln.startswith("model name")]
    if names:
        cpu = names[0]
    return (f"{os.cpu_count()} cores ({cpu}), {mem_kib / 2**20:.1f} GiB RAM, "
            f"{platform.system()} {platform.release()}, "
            f"Python {platform.python_version()}")


def _mark(met: bool | None) -> str:
    return {True: "yes", False: "**no**", None: "n/a"}[met]


def table(figures: list[Figure]) -> str:
    """Markdown table: figure | measured | target | met? | load."""
    lines = ["| figure | measured | target | met? | load (1/5/15 min) |",
             "|---|---|---|---|---|"]
    lines += [f"| {f.figure} | {f.measured} | {f.target} | {_mark(f.met)} | {f.load} |"
              for f in figures]
    return "\n".join(lines)


def report(figures: list[Figure], header: str) -> str:
    """The whole Markdown report: header, table, then each figure's details."""
    parts = [header, "", table(figures), ""]
    for f in figures:
        if f.details:
            parts += [f"**{f.figure}**", ""] + [f"- {d}" for d in f.details] + [""]
    return "\n".join(parts)
