"""The monitoring pipeline."""

from windpower.pipelines.monitoring.pipeline import create_pipeline

__all__ = ["create_pipeline"]
