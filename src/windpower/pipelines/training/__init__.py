"""The training pipeline."""

from windpower.pipelines.training.pipeline import create_pipeline

__all__ = ["create_pipeline"]
