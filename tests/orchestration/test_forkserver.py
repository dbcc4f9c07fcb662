"""Served runs start from a forkserver, and only while Prefect still fits."""

import multiprocessing
from types import ModuleType

import pytest

from windpower.orchestration.forkserver import use_forkserver

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


def test_prefect_engine_still_has_the_patch_point():
    import prefect.flow_engine  # noqa: PLC0415

    assert isinstance(prefect.flow_engine.multiprocessing, ModuleType)
    assert callable(prefect.flow_engine.run_flow_in_subprocess)
