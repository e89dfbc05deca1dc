"""LightningModules per task family: orchestration only; the networks live in ``models``.

Which class trains which task is ``lightning_modules.registry``'s table.
"""

from __future__ import annotations

from typing import Any

from lightning_modules.registry import build_task, modules_for
from lightning_modules.tasks.base import OptimizedTask
from lightning_modules.tasks.classification import ClassificationTask
from lightning_modules.tasks.language_modeling import LanguageModelTask, write_samples
from lightning_modules.tasks.masked_lm import MaskedLMTask
from lightning_modules.tasks.regression import RegressionTask
from lightning_modules.tasks.seq2seq import Seq2SeqTask


def restore_task(checkpoint: dict[str, Any]) -> OptimizedTask:
    """The trained task of a checkpoint read with ``init_from.read_checkpoint``, in eval mode.

    Every task saves its constructor arguments (``save_hyperparameters``), so the model is
    rebuilt without preparing the data; the weights must then fit it key for key.
    """
    hparams = dict(checkpoint["hyper_parameters"])
    config = hparams["config"]
    task_cls = modules_for(config["task"], config["model"].get("family")).task_cls()
    task = task_cls(**hparams)
    task.load_state_dict(checkpoint["state_dict"])
    return task.eval()


__all__ = [
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
