"""The data_processing pipeline."""

from windpower.pipelines.data_processing.pipeline import create_pipeline

__all__ = ["create_pipeline"]
