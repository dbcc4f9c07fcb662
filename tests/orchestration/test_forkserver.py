"""Served runs start from a forkserver (unless switched off), and only while
Prefect still fits (its canary: test_internals.py)."""

import json
import multiprocessing
import os
from pathlib import Path
from types import ModuleType

import prefect.flow_engine
import pytest
from prefect import flow

from windpower.orchestration.serving.forkserver import SWITCH_ENV, use_forkserver

pytestmark = pytest.mark.unit


def _engine() -> ModuleType:
    engine = ModuleType("flow_engine")
    engine.multiprocessing = multiprocessing
    engine.run_flow_in_subprocess = lambda *args, **kwargs: None
    return engine


def test_use_forkserver_answers_spawn_with_the_forkserver():
    engine = _engine()
    assert use_forkserver(engine, start=False)
    context = engine.multiprocessing.get_context("spawn")
    assert context.get_start_method() == "forkserver"
    assert engine.multiprocessing.Process is multiprocessing.Process  # the rest kept
    assert use_forkserver(engine, start=False), "applying twice is harmless"


def test_use_forkserver_leaves_an_unknown_engine_alone(caplog):
    engine = _engine()
    del engine.run_flow_in_subprocess
    assert not use_forkserver(engine, start=False)
    assert engine.multiprocessing is multiprocessing
    assert "spawning" in caplog.text


@flow(name="report-parent")
def report_parent(path: str) -> None:
    """Write this run's process id and parent process id to ``path``."""
    Path(path).write_text(json.dumps({"pid": os.getpid(), "ppid": os.getppid()}))


def _run_as_the_runner_does(tmp_path: Path) -> dict[str, int]:
    """Start ``report_parent`` with Prefect's own ``run_flow_in_subprocess``."""
    out = tmp_path / "parent.json"
    process = prefect.flow_engine.run_flow_in_subprocess(
        report_parent, parameters={"path": str(out)})
    process.join(timeout=180)
    assert process.exitcode == 0
    return json.loads(out.read_text())


def _cmdline(pid: int) -> str:
    return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()


@pytest.mark.usefixtures("prefect_server")
def test_served_run_is_forked_from_the_forkserver(monkeypatch, tmp_path):
    # Undo the patch after the test; the forkserver process itself stays.
    monkeypatch.setattr(prefect.flow_engine, "multiprocessing", multiprocessing)
    monkeypatch.delenv(SWITCH_ENV, raising=False)
    assert use_forkserver()
    ids = _run_as_the_runner_does(tmp_path)
    assert ids["ppid"] != os.getpid(), "the run was started by the test process"
    assert "multiprocessing.forkserver" in _cmdline(ids["ppid"])


@pytest.mark.usefixtures("prefect_server")
def test_forkserver_switched_off_runs_are_spawned(monkeypatch, tmp_path):
    monkeypatch.setattr(prefect.flow_engine, "multiprocessing", multiprocessing)
    monkeypatch.setenv(SWITCH_ENV, "false")
    assert not use_forkserver()
    assert prefect.flow_engine.multiprocessing is multiprocessing
    assert _run_as_the_runner_does(tmp_path)["ppid"] == os.getpid()
