"""Files a run's test writes beside its checkpoints, and the step budget for progress."""

from __future__ import annotations

import csv
import io
import json
import logging
import os
from pathlib import Path

import lightning.pytorch as pl

log = logging.getLogger(__name__)

MAX_BUFFERED_POINTS = 1_000_000


class ReportStepBudget(pl.Callback):
    """Logs the run's total optimiser steps once (``trainer/total_steps``) for progress and ETA."""

    def on_train_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        total = trainer.estimated_stepping_batches
        if total != float("inf"):
            for logger in trainer.loggers:
                logger.log_metrics({"trainer/total_steps": float(total)}, step=0)


class ConfusionMatrixArtifact(pl.Callback):
    """Writes the test confusion matrix (rows: true class, columns: predicted) as JSON."""

    def __init__(self, path: Path):
        self.path = Path(path)

    def on_test_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        confusion = getattr(pl_module, "test_confusion", None)
        if confusion is None:
            return
        doc = {
            "labels": list(pl_module.hparams.get("class_names", [])),
            "matrix": confusion.compute().int().tolist(),  # every rank: a collective
        }
        confusion.reset()
        if not trainer.is_global_zero:
            return
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(doc), encoding="utf-8")
        os.replace(tmp, self.path)


class PredictionsArtifact(pl.Callback):
    """Writes the test predictions of a regression as CSV: text (a preview), target, prediction.

    Reads the task's ``test_predictions`` (target, prediction pairs in loader order) and
    the data module's ``test_texts`` (the same order: the test loader does not shuffle).
    """

    PREVIEW_CHARS = 100

    def __init__(self, path: Path):
        self.path = Path(path)

    def on_test_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        pairs = getattr(pl_module, "test_predictions", None)
        if pairs is None or not trainer.is_global_zero:
            return
        texts = getattr(trainer.datamodule, "test_texts", None) or [""] * len(pairs)
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(["text", "target", "prediction"])
        for text, (target, prediction) in zip(texts, pairs, strict=True):
            preview = " ".join(text.split())[: self.PREVIEW_CHARS]
            # 7 significant digits: what the float32 targets and predictions hold.
            writer.writerow([preview, f"{target:.7g}", f"{prediction:.7g}"])
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(buf.getvalue(), encoding="utf-8")
        os.replace(tmp, self.path)
