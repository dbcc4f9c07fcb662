"""Start each served flow run from a pre-imported process instead of a new one.

Prefect's runner starts every run of a served flow with multiprocessing's
``spawn``: a fresh interpreter that imports Prefect and the flow module again
before the run reaches Running. A ``forkserver`` imports them once, when serving
starts, and forks every run from there (docs/performance.md); each run is still
its own process, so runs share no state.

Prefect's runner documents ``run_flow_in_subprocess`` as its override point; we
keep Prefect's function (environment, settings, control channel) and only give
it the forkserver context in place of ``spawn``. ``WINDPOWER_FORKSERVER=false``
turns it off (runs are spawned, as Prefect does by default), e.g. to tell whether
a problem comes from it.
"""

from __future__ import annotations

import logging
import multiprocessing
import multiprocessing.forkserver
import os
from types import ModuleType
from typing import Any

import prefect.flow_engine

logger = logging.getLogger(__name__)
SWITCH_ENV = "WINDPOWER_FORKSERVER"

# What a flow script imports: Prefect's engine, Kedro's session and our
# orchestration code. Named, because Python 3.13's forkserver never honours
# "__main__" (it looks for a ``main_path`` key that spawn's preparation data calls
# ``init_main_from_path``). The pipelines' imports (MLflow, scikit-learn,
# matplotlib) stay in the run: preloaded, each idle flow container would hold them.
PRELOAD = [
    "prefect.flow_engine",
    "windpower.orchestration.serving.cli",
    "windpower.orchestration.flows.guard",
    "windpower.orchestration.kedro.session",
    "windpower.orchestration.flows.tasks",
]


class _ForkserverMultiprocessing:
    """The ``multiprocessing`` module as ``prefect.flow_engine`` sees it, with
    ``get_context`` answering the forkserver context whatever it is asked."""

    def __init__(self, context: multiprocessing.context.BaseContext) -> None:
        self._context = context

    def get_context(self, method: str | None = None) -> Any:
        return self._context

    def __getattr__(self, name: str) -> Any:
        return getattr(multiprocessing, name)


def use_forkserver(engine: ModuleType = prefect.flow_engine, start: bool = True
                   ) -> bool:
    """Make ``engine`` (Prefect's flow engine) start runs through a forkserver.

    Args:
        engine: The module whose ``multiprocessing.get_context`` to redirect.
        start: Start the forkserver now, so the first run does not wait for it.

    Returns:
        Whether it is in place; ``False`` (runs are spawned, as Prefect does by
        default) if ``WINDPOWER_FORKSERVER`` is off or this Prefect no longer
        starts runs the way we expect.
    """
    if os.environ.get(SWITCH_ENV, "").strip().lower() in {"0", "false", "no", "off"}:
        logger.info("%s is off: runs start by spawning", SWITCH_ENV)
        return False
    current = getattr(engine, "multiprocessing", None)
    if isinstance(current, _ForkserverMultiprocessing):
        return True
    if not (isinstance(current, ModuleType)
            and hasattr(engine, "run_flow_in_subprocess")):
        logger.warning("Prefect's flow engine changed: runs start by spawning")
        return False
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOAD)
    engine.multiprocessing = _ForkserverMultiprocessing(context)
    if start:
        multiprocessing.forkserver.ensure_running()
    return True
