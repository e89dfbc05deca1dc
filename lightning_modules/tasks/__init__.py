"""LightningModules per task family: orchestration only; the networks live in ``models``."""

from __future__ import annotations

from typing import Any

from lightning_modules.tasks.base import OptimizedTask
from lightning_modules.tasks.classification import ClassificationTask
from lightning_modules.tasks.language_modeling import LanguageModelTask, write_samples
from lightning_modules.tasks.masked_lm import MaskedLMTask
from lightning_modules.tasks.regression import RegressionTask
from lightning_modules.tasks.seq2seq import TRANSLATIONS_FILE, Seq2SeqTask
from paretolab.config import RunConfig


def build_task(config: RunConfig, data: Any) -> OptimizedTask:
    """The LightningModule for the config's task, sized from the prepared data module."""
    plain = config.model_dump(mode="json")
    if config.task == "classification":
        return ClassificationTask(plain, data.vocab_size, data.class_names)
    if config.task == "image_classification":
        return ClassificationTask(plain, 0, data.class_names, list(data.image_shape))
    if config.task == "regression":
        return RegressionTask(plain, data.vocab_size, data.target_mean, data.target_std)
    if config.task == "language_modeling":
        return LanguageModelTask(plain, data.vocab_size, data.chars_per_token)
    if config.task == "masked_lm":
        return MaskedLMTask(plain, data.vocab_size)
    if config.task == "seq2seq":
        return _seq2seq_task(plain, data)
    raise ValueError(f"unknown task {config.task!r}")


def _seq2seq_task(plain: dict[str, Any], data: Any) -> Seq2SeqTask:
    task = Seq2SeqTask(
        plain,
        data.source_vocab,
        data.target_vocab,
        data.bos_id,
        data.eos_id,
        data.max_target_tokens,
        data.group_names,
    )
    task.source_tokenizer, task.target_tokenizer = data.source_tokenizer, data.target_tokenizer
    task.translations_path = data.run_dir / TRANSLATIONS_FILE
    return task


__all__ = [
    "ClassificationTask",
    "LanguageModelTask",
    "MaskedLMTask",
    "OptimizedTask",
    "RegressionTask",
    "Seq2SeqTask",
    "build_task",
    "write_samples",
]
