"""LightningModules per task family: orchestration only; the networks live in ``models``."""

from __future__ import annotations

from typing import Any

from lightning_modules.tasks.base import OptimizedTask
from lightning_modules.tasks.classification import ClassificationTask
from lightning_modules.tasks.language_modeling import LanguageModelTask, write_samples
from paretolab.config import RunConfig


def build_task(config: RunConfig, data: Any) -> OptimizedTask:
    """The LightningModule for the config's task, sized from the prepared data module."""
    plain = config.model_dump(mode="json")
    if config.task == "classification":
        return ClassificationTask(plain, data.vocab_size, data.class_names)
    if config.task == "image_classification":
        return ClassificationTask(plain, 0, data.class_names, list(data.image_shape))
    if config.task == "language_modeling":
        return LanguageModelTask(plain, data.vocab_size, data.chars_per_token)
    raise ValueError(f"unknown task {config.task!r}")


__all__ = [
    "ClassificationTask",
    "LanguageModelTask",
    "OptimizedTask",
    "build_task",
    "write_samples",
]
