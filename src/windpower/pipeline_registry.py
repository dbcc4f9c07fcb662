"""Project pipelines."""

from kedro.framework.project import find_pipelines
from kedro.pipeline import Pipeline


def register_pipelines() -> dict[str, Pipeline]:
    """Register the project's pipelines.

    Returns:
        A mapping from pipeline names to ``Pipeline`` objects. ``__default__`` is
        what ``kedro run`` does with no ``--pipeline``: process the data and train.
    """
    pipelines = find_pipelines(raise_errors=True)
    # Kedro 1.7 loads only the requested pipelines (``--pipeline training``), so
    # ``__default__`` is built only when both of its parts were loaded.
    if {"data_processing", "training"} <= pipelines.keys():
        pipelines["__default__"] = pipelines["data_processing"] + pipelines["training"]
    return pipelines
