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


TASK_CLASSES: dict[str, type[OptimizedTask]] = {
    "classification": ClassificationTask,
    "image_classification": ClassificationTask,
    "regression": RegressionTask,
    "language_modeling": LanguageModelTask,
    "masked_lm": MaskedLMTask,
    "seq2seq": Seq2SeqTask,
}


def restore_task(checkpoint: dict[str, Any]) -> OptimizedTask:
    """The trained task of a checkpoint read with ``init_from.read_checkpoint``, in eval mode.

    Every task saves its constructor arguments (``save_hyperparameters``), so the model is
    rebuilt without preparing the data; the weights must then fit it key for key.
    """
    hparams = dict(checkpoint["hyper_parameters"])
    task_cls = TASK_CLASSES[hparams["config"]["task"]]
    task = task_cls(**hparams)
    task.load_state_dict(checkpoint["state_dict"])
    return task.eval()


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
    "TASK_CLASSES",
    "ClassificationTask",
    "LanguageModelTask",
    "MaskedLMTask",
    "OptimizedTask",
    "RegressionTask",
    "Seq2SeqTask",
    "build_task",
    "restore_task",
    "write_samples",
]
