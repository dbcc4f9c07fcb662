"""Orchestration tests: a toy Kedro project with windpower's pipeline names and
summary outputs (the temporary Prefect server is tests/conftest.py's)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from kedro.framework.project import configure_project

import windpower.orchestration.kedro.session as kedro_session

TOY_PROJECT = Path(__file__).parent / "toy_project"


@pytest.fixture
def toy_project(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Point the flows at the toy Kedro project; restore windpower afterwards."""
    monkeypatch.setattr(kedro_session, "project_root", lambda: TOY_PROJECT)
    yield TOY_PROJECT
    configure_project("windpower")


@pytest.fixture
def mlflow_run_id(
    mlflow_store: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> str:
    """A finished run in a temporary sqlite MLflow store (the tracking URI)."""
    import mlflow  # noqa: PLC0415 (slow import, only some tests need it)

    monkeypatch.setenv("MLFLOW_UI_URL", "http://mlflow.test")
    with mlflow.start_run() as run:
        return run.info.run_id
