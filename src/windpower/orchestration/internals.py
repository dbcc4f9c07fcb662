"""The private framework internals the orchestration still needs, one function each.

Each is used here and nowhere else, says why no public API does, and has a canary
in tests/orchestration/test_internals.py that names it and the installed version
when an upgrade removes or changes it. Two more have canaries there but live where
they act: ``PrefectTaskRunner`` implements Kedro's abstract runner methods
(``kedro/runner.py``), and the forkserver replaces the ``multiprocessing`` of
Prefect's flow engine (``serving/forkserver.py``).

Nothing here imports a framework: a flow container's serving process imports this
module, and holds Prefect alone.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kedro.io import CatalogProtocol
    from kedro.pipeline import Pipeline
    from kedro.pipeline.node import Node
    from kedro.runner import AbstractRunner

# Read by MLflow's client for a database store's default artifact root; MLflow's
# tracking server sets it for its workers.
MLFLOW_ARTIFACT_ROOT_ENV = "_MLFLOW_SERVER_ARTIFACT_ROOT"


# MLflow's server module starts its web server (uvicorn) with this function of
# mlflow.utils.process, imported into mlflow.server's namespace.
MLFLOW_SERVER_SPAWN = "_exec_cmd"


def serve_mlflow_in_place(argv: list[str]) -> None:
    """``mlflow server <argv>``, its web server (uvicorn) replacing this process.

    MLflow's CLI starts uvicorn as a child and then only waits for it: a second
    Python with MLflow imported, ~180 MiB of the idle stack doing nothing. MLflow
    has no option to start it in place, so the function its server module starts
    it with is swapped for an ``exec``; everything before (options, environment,
    basic-auth set-up) stays MLflow's own. With job execution on, MLflow's parent
    also runs the job runner: then it is left as it is.
    """
    import mlflow.server  # noqa: PLC0415 (the serving process imports MLflow only)
    from mlflow.cli import cli  # noqa: PLC0415

    def exec_in_place(cmd: list[str], *, extra_env: dict | None = None,
                      **_: object) -> None:
        os.execvpe(cmd[0], list(cmd), {**os.environ, **(extra_env or {})})

    if os.environ.get("MLFLOW_SERVER_ENABLE_JOB_EXECUTION", "").lower() not in {
            "1", "true"}:
        setattr(mlflow.server, MLFLOW_SERVER_SPAWN, exec_in_place)
    cli.main(args=["server", *argv], prog_name="mlflow")


def use_mlflow_artifact_root(path: Path) -> None:
    """Keep a database store's new artifacts under ``path``, unless a root is set.

    MLflow's client otherwise puts them in ``./mlruns``, read-only in the image,
    and has no public setting for it: the variable its own server uses is the
    only way short of giving every experiment an artifact location.
    """
    if not os.environ.get(MLFLOW_ARTIFACT_ROOT_ENV):
        os.environ[MLFLOW_ARTIFACT_ROOT_ENV] = str(path)


def suggest_resume(runner: AbstractRunner, pipeline: Pipeline,
                   done: Iterable[Node], catalog: CatalogProtocol) -> None:
    """Log the ``--from-nodes`` that resumes a failed run, as ``kedro run`` does.

    Kedro's runners share this private method; the nodes to resume from depend on
    which datasets persist, which only Kedro's private helpers work out.
    """
    runner._suggest_resume_scenario(pipeline, done, catalog)
