"""Task name → its LightningModule and data module: the torch side of ``paretolab.tasks``.

A task registered in the core (``paretolab.tasks.register_task``) trains once it has an
entry here too (``register``). Built-in entries name their classes as ``"module:Class"``
text, imported on first use: reading files and checking data must not import Lightning.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from paretolab.config import RunConfig

if TYPE_CHECKING:  # importing Lightning takes seconds; file readers and checks need none of it
    import lightning.pytorch as pl

    from lightning_modules.tasks.base import OptimizedTask

# Sizes the LightningModule from the prepared data module: (class, plain config, data) → task.
TaskBuilder = Callable[[type, dict[str, Any], Any], "OptimizedTask"]


def _sized_by_vocab(cls: type, plain: dict[str, Any], data: Any) -> OptimizedTask:
    return cls(plain, data.vocab_size)


def _text_classes(cls: type, plain: dict[str, Any], data: Any) -> OptimizedTask:
    return cls(plain, data.vocab_size, data.class_names)


def _image_classes(cls: type, plain: dict[str, Any], data: Any) -> OptimizedTask:
    return cls(plain, 0, data.class_names, list(data.image_shape))


def _regression(cls: type, plain: dict[str, Any], data: Any) -> OptimizedTask:
    return cls(plain, data.vocab_size, data.target_mean, data.target_std)


def _language_model(cls: type, plain: dict[str, Any], data: Any) -> OptimizedTask:
    return cls(plain, data.vocab_size, data.chars_per_token)


def _seq2seq(cls: type, plain: dict[str, Any], data: Any) -> OptimizedTask:
    from lightning_modules.tasks.seq2seq import TRANSLATIONS_FILE

    task = cls(
        plain,
        data.source_vocab,
        data.target_vocab,
        data.bos_id,
        data.eos_id,
        data.max_target_tokens,
        data.group_names,
    )
    # Decoded text for BLEU and samples, known only after the data module's setup.
    task.source_tokenizer, task.target_tokenizer = data.source_tokenizer, data.target_tokenizer
    task.translations_path = data.run_dir / TRANSLATIONS_FILE
    return task


@dataclass(frozen=True)
class TaskModules:
    """The classes that train one task."""

    task_class: type | str
    """The LightningModule (or ``"module:Class"``); it saves its constructor arguments, so
    ``task_class(**hyper_parameters)`` rebuilds it from a checkpoint."""
    data_module: type | str
    """The data module (or ``"module:Class"``), built as ``data_module(config, run_dir)``."""
    build: TaskBuilder = _text_classes
    """Makes the LightningModule from the plain config and the prepared data module."""

    def task_cls(self) -> type[OptimizedTask]:
        """The LightningModule class, imported if named as text."""
        return _resolve(self.task_class)

    def data_cls(self) -> type[pl.LightningDataModule]:
        """The data module class, imported if named as text."""
        return _resolve(self.data_module)


TASK_MODULES: dict[str, TaskModules] = {}
# (task, model family) → modules, where a family trains a task its own way (pretrained).
FAMILY_MODULES: dict[tuple[str, str], TaskModules] = {}


def register(name: str, modules: TaskModules, family: str | None = None) -> None:
    """Train task ``name`` (registered in ``paretolab.tasks``) with ``modules``; with
    ``family``, only runs of that model family (the task's other families keep theirs).

    Raises:
        ValueError: task ``name`` (and ``family``) already has its modules.
    """
    table: dict[Any, TaskModules] = TASK_MODULES if family is None else FAMILY_MODULES
    key = name if family is None else (name, family)
    if key in table:
        raise ValueError(f"task {name!r}{f' ({family})' if family else ''} already has its modules")
    table[key] = modules


def unregister(name: str, family: str | None = None) -> None:
    """Forget the modules of task ``name`` (tests register throwaway tasks)."""
    if family is None:
        TASK_MODULES.pop(name, None)
    else:
        FAMILY_MODULES.pop((name, family), None)


def modules_for(task: str, family: str | None = None) -> TaskModules:
    """The modules that train ``task`` with model ``family`` (its own, else the task's).

    Raises:
        ValueError: none are registered.
    """
    if family is not None and (task, family) in FAMILY_MODULES:
        return FAMILY_MODULES[(task, family)]
    try:
        return TASK_MODULES[task]
    except KeyError:
        raise ValueError(f"unknown task {task!r}; registered: {', '.join(TASK_MODULES)}") from None


def build_data_module(config: RunConfig, run_dir: Path) -> pl.LightningDataModule:
    """The data module for the config's task (set up lazily: call ``setup`` before use)."""
    return modules_for(config.task, config.model.family).data_cls()(config, run_dir)


def build_task(config: RunConfig, data: Any) -> OptimizedTask:
    """The LightningModule for the config's task, sized from the prepared data module."""
    modules = modules_for(config.task, config.model.family)
    return modules.build(modules.task_cls(), config.model_dump(mode="json"), data)


def _resolve(ref: type | str) -> type:
    if isinstance(ref, type):
        return ref
    module, _, name = ref.partition(":")
    return getattr(importlib.import_module(module), name)


_TASKS = "lightning_modules.tasks"
_DATA = "lightning_modules.data.modules"
for _name, _modules in {
    "classification": TaskModules(
        f"{_TASKS}.classification:ClassificationTask",
        f"{_DATA}.classification:TextClassificationData",
    ),
    "regression": TaskModules(
        f"{_TASKS}.regression:RegressionTask",
        f"{_DATA}.regression:TextRegressionData",
        _regression,
    ),
    "masked_lm": TaskModules(
        f"{_TASKS}.masked_lm:MaskedLMTask", f"{_DATA}.masked_lm:MaskedLMData", _sized_by_vocab
    ),
    "language_modeling": TaskModules(
        f"{_TASKS}.language_modeling:LanguageModelTask",
        f"{_DATA}.language_modeling:LanguageModelingData",
        _language_model,
    ),
    "seq2seq": TaskModules(
        f"{_TASKS}.seq2seq:Seq2SeqTask", f"{_DATA}.seq2seq:Seq2SeqData", _seq2seq
    ),
    "image_classification": TaskModules(
        f"{_TASKS}.classification:ClassificationTask",
        f"{_DATA}.image_classification:ImageClassificationData",
        _image_classes,
    ),
}.items():
    register(_name, _modules)

_PRETRAINED = f"{_TASKS}.pretrained"
for _name, _modules in {
    "classification": TaskModules(
        f"{_PRETRAINED}:PretrainedClassificationTask",
        f"{_DATA}.classification:TextClassificationData",
    ),
    "regression": TaskModules(
        f"{_PRETRAINED}:PretrainedRegressionTask",
        f"{_DATA}.regression:TextRegressionData",
        _regression,
    ),
    "language_modeling": TaskModules(
        f"{_PRETRAINED}:PretrainedLanguageModelTask",
        f"{_DATA}.language_modeling:LanguageModelingData",
        _language_model,
    ),
    "image_classification": TaskModules(
        f"{_PRETRAINED}:PretrainedClassificationTask",
        f"{_DATA}.image_classification:ImageClassificationData",
        _image_classes,
    ),
    "seq2seq": TaskModules(
        f"{_TASKS}.pretrained_seq2seq:PretrainedSeq2SeqTask",
        f"{_DATA}.pretrained_seq2seq:PretrainedSeq2SeqData",
        _seq2seq,
    ),
}.items():
    register(_name, _modules, family="pretrained")
