"""Run Kedro pipelines inside a Prefect flow, as ``kedro run`` would."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd
from kedro.framework.session import KedroSession
from kedro.framework.startup import bootstrap_project

# project_root is looked up here by the flows at run time (tests point it elsewhere).
from windpower import project_root
from windpower.clock import run_time
from windpower.orchestration.kedro.logs import forward_logs_to_prefect
from windpower.orchestration.kedro.retries import limit_mlflow_http_retries
from windpower.orchestration.kedro.runner import PrefectTaskRunner


@dataclass(frozen=True)
class KedroRunResult:
    """What a flow needs from a Kedro run: its session id and chosen outputs."""

    session_id: str
    outputs: dict[str, Any] = field(default_factory=dict)


def run_kedro_pipelines(
    pipeline_names: Sequence[str],
    load_outputs: Sequence[str] = (),
    project_path: Path | None = None,
    env: str | None = None,
    runtime_params: dict[str, Any] | None = None,
) -> KedroRunResult:
    """Run ``pipeline_names`` in one Kedro session, each node as a Prefect task.

    Args:
        pipeline_names: Registered pipelines to run together (one session).
        load_outputs: Free pipeline outputs to load and return (small dicts,
            e.g. ``training_summary``); other outputs are left unloaded.
        project_path: Kedro project root; defaults to this checkout's root.
        env: Kedro configuration environment (``KEDRO_ENV`` when ``None``).
        runtime_params: Parameter overrides, as ``kedro run --params``.

    Returns:
        The session id (MLflow runs are tagged with it) and the loaded outputs.
    """
    root = project_path or project_root()
    limit_mlflow_http_retries()
    bootstrap_project(root)
    with forward_logs_to_prefect():
        with KedroSession.create(
            project_path=root, env=env, runtime_params=runtime_params
        ) as session:
            datasets = session.run(
                pipeline_names=list(pipeline_names), runner=PrefectTaskRunner()
            )
            outputs = {
                name: datasets[name].load() for name in load_outputs if name in datasets
            }
            return KedroRunResult(session_id=session.session_id, outputs=outputs)


def load_parameters(
    env: str | None = None,
    runtime_params: dict[str, Any] | None = None,
    project_path: Path | None = None,
) -> dict[str, Any]:
    """The project's parameters (``conf/``), as a Kedro run with them would see."""
    root = project_path or project_root()
    bootstrap_project(root)
    with KedroSession.create(
        project_path=root, env=env, runtime_params=runtime_params
    ) as session:
        return dict(session.load_context().params)


def run_parameters(
    as_of: datetime | None, params: dict[str, Any] | None, site: str | None = None
) -> tuple[pd.Timestamp, dict[str, Any]]:
    """The run's ``as_of`` (default now, UTC) and its Kedro runtime parameters
    (``site``: the one wind farm the run reads; None: ``globals.site``)."""
    stamp = run_time(as_of)
    chosen = {"site": site} if site else {}
    return stamp, {**(params or {}), **chosen, "as_of": stamp.isoformat()}
