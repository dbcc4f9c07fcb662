"""A Kedro runner that runs every node as a Prefect task named after the node.

Used through ``KedroSession.run(..., runner=PrefectTaskRunner())`` so hooks, the
catalog and the session behave exactly as with ``kedro run``; the Prefect UI then
shows one task run per node with its duration, logs and, on failure, the node.

Nodes run one after the other, in the pipeline's topological order, in the flow's
own thread: hooks that keep thread-local state (MLflow's active run) keep working.

``_run`` and ``_get_executor`` are the abstract methods Kedro documents for a
runner of one's own (with ``_is_async``, set by its ``__init__``); a canary in
tests/orchestration/test_internals.py says when an upgrade changes them.
"""

from __future__ import annotations

import logging
from collections import Counter
from itertools import chain
from typing import TYPE_CHECKING, Any

from kedro.runner import AbstractRunner
from kedro.runner import Task as KedroTask
from prefect import task
from prefect.cache_policies import NO_CACHE

from windpower.orchestration.internals import suggest_resume
from windpower.orchestration.kedro.retries import (
    RETRIES,
    RETRY_DELAYS,
    is_transient_error,
    retry_on_connection_error,
)

if TYPE_CHECKING:
    from kedro.io import CatalogProtocol
    from kedro.pipeline import Pipeline
    from kedro.pipeline.node import Node
    from pluggy import PluginManager

logger = logging.getLogger(__name__)


class NodeFailedError(RuntimeError):
    """A Kedro node failed; the message names the node and the original error."""

    def __init__(self, node_name: str, error: BaseException) -> None:
        self.node_name = node_name
        cause = (
            f" (server unreachable after {RETRIES} retries)"
            if is_transient_error(error)
            else ""
        )
        super().__init__(
            f"Kedro node '{node_name}' failed{cause}: {type(error).__name__}: {error}"
        )


@task(
    retries=RETRIES,
    retry_delay_seconds=RETRY_DELAYS,
    retry_condition_fn=retry_on_connection_error,
    cache_policy=NO_CACHE,
    persist_result=False,
)
def run_node(kedro_task: KedroTask) -> str:
    """Run one Kedro node: load its inputs, call it, save its outputs, with hooks."""
    return kedro_task.execute().name


class PrefectTaskRunner(AbstractRunner):
    """Run each Kedro node as a Prefect task named after the node."""

    def _get_executor(self, max_workers: int) -> None:
        return None

    def _run(
        self,
        pipeline: Pipeline,
        catalog: CatalogProtocol,
        hook_manager: PluginManager | None = None,
        run_id: str | None = None,
    ) -> None:
        """Submit the nodes in dependency order; stop at the first failure.

        ``AbstractRunner.run`` hands over a hook manager (a null one if it got none).
        """
        nodes = pipeline.nodes
        load_counts = Counter(chain.from_iterable(n.inputs for n in nodes))
        done: list[Node] = []
        for node in nodes:
            kedro_task = KedroTask(
                node=node,
                catalog=catalog,
                hook_manager=hook_manager,
                is_async=self._is_async,
                run_id=run_id,
            )
            try:
                node_task(node)(kedro_task)
            except Exception as error:
                suggest_resume(self, pipeline, done, catalog)
                raise NodeFailedError(node.name, error) from error
            done.append(node)
            logger.info("Completed node: %s", node.name)
            logger.info("Completed %d out of %d tasks", len(done), len(nodes))
            release_unneeded(node, catalog, load_counts, pipeline)


def release_unneeded(node: Node, catalog: CatalogProtocol, load_counts: Counter,
                     pipeline: Pipeline) -> None:
    """Release the datasets of ``node`` no node still to run loads (as Kedro's own
    runners do), except the pipeline's own inputs and outputs: their memory is
    freed as the run goes."""
    for name in node.inputs:
        load_counts[name] -= 1
        if load_counts[name] < 1 and name not in pipeline.inputs():
            catalog.release(name)
    for name in node.outputs:
        if load_counts[name] < 1 and name not in pipeline.outputs():
            catalog.release(name)


def node_task(node: Node) -> Any:
    """The ``run_node`` task renamed after ``node``, tagged with the node's tags."""
    return run_node.with_options(
        name=node.name,
        task_run_name=node.name,
        tags=set(node.tags),
    )
