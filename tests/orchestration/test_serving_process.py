"""A flow container's serving process holds Prefect, not the pipeline code."""

import subprocess
import sys
from pathlib import Path

import pytest

from tests.background import background_fixture, session_environment

pytestmark = pytest.mark.unit
PROJECT = Path(__file__).resolve().parents[2]
SERVED = ["ingest_flow", "training_flow", "inference_flow", "monitoring_flow"]
# What the runs need and the scheduler does not (100-270 MiB resident each).
HEAVY = ["kedro", "pandas", "mlflow", "scipy", "sklearn", "pyarrow"]
IMPORT = """
import importlib.util, sys
spec = importlib.util.spec_from_file_location("served", sys.argv[1])
spec.loader.exec_module(importlib.util.module_from_spec(spec))
print("loaded:", *sorted(m for m in sys.argv[2:] if m in sys.modules))
"""


@background_fixture()
def flow_module_imports() -> dict[str, subprocess.CompletedProcess[str]]:
    """Each flow module imported in a fresh process, in the background: a fresh
    process takes 1-5 s to import one."""
    return {module: subprocess.run(
        [sys.executable, "-c", IMPORT, f"services/prefect/{module}.py", *HEAVY],
        capture_output=True, text=True, check=False, timeout=120,
        cwd=PROJECT, env=session_environment()) for module in SERVED}


@pytest.mark.parametrize("module", SERVED)
def test_flow_module_imports_no_pipeline_code(module: str, flow_module_imports
                                              ) -> None:
    done = flow_module_imports[module]
    assert done.returncode == 0, done.stderr[-2000:]
    loaded = next(x for x in done.stdout.splitlines() if x.startswith("loaded:"))
    assert loaded.split()[1:] == [], f"{module} imports at the top: {loaded}"
