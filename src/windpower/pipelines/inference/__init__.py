"""The inference pipeline."""

from windpower.pipelines.inference.pipeline import create_pipeline

__all__ = ["create_pipeline"]
