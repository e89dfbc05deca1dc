"""Text classification: a Transformer encoder with a pooled head, cross-entropy, macro metrics."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torchmetrics import MetricCollection
from torchmetrics.classification import (
    MulticlassAccuracy,
    MulticlassConfusionMatrix,
    MulticlassF1Score,
    MulticlassPrecision,
    MulticlassRecall,
)

from lightning_modules.models import EncoderClassifier
from lightning_modules.tasks.base import OptimizedTask
from paretolab.config import RunConfig
from paretolab.config_io import parse_config


class ClassificationTask(OptimizedTask):
    """Text classification with a Transformer encoder.

    Args:
        config: the run config as a plain dict (saved in every checkpoint).
        vocab_size: the trained tokenizer's vocabulary size.
        class_names: label names, index = class id.
    """

    def __init__(self, config: dict[str, Any], vocab_size: int, class_names: list[str]):
        super().__init__()
        self.save_hyperparameters()
        self.config: RunConfig = parse_config(config)
        m = self.config.model
        self.model = EncoderClassifier(
            vocab_size=vocab_size,
            num_classes=len(class_names),
            max_len=self.config.data.max_length,
            d_model=m.d_model,
            n_layers=m.n_layers,
            n_heads=m.n_heads,
            d_ff=m.ff_dim(),
            dropout=m.dropout,
            attention_dropout=m.attention_dropout,
            positional=m.positional,
            pooling=m.pooling,
        )
        n = len(class_names)
        metrics = MetricCollection(
            {
                "acc": MulticlassAccuracy(n, average="micro"),
                "f1": MulticlassF1Score(n, average="macro"),
                "precision": MulticlassPrecision(n, average="macro"),
                "recall": MulticlassRecall(n, average="macro"),
            }
        )
        self.val_metrics = metrics.clone(prefix="val_")
        self.test_metrics = metrics.clone(prefix="test_")
        self.test_confusion = MulticlassConfusionMatrix(n)

    def forward(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None
    ) -> torch.Tensor:
        return self.model(input_ids, attention_mask)

    def _common_step(self, batch: dict[str, torch.Tensor], stage: str) -> torch.Tensor:
        logits = self(batch["input_ids"], batch["attention_mask"])
        loss = F.cross_entropy(logits, batch["labels"])
        size = batch["labels"].shape[0]
        if stage == "train":
            self.log(
                "train_loss", loss, on_step=True, on_epoch=False, prog_bar=True, batch_size=size
            )
            self.log_lr()
            return loss
        metrics = self.val_metrics if stage == "val" else self.test_metrics
        metrics.update(logits, batch["labels"])
        if stage == "test":
            self.test_confusion.update(logits, batch["labels"])
        self.log(f"{stage}_loss", loss, on_epoch=True, prog_bar=stage == "val", batch_size=size)
        self.log_dict(metrics, on_epoch=True, prog_bar=False, batch_size=size)
        return loss

    def training_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> torch.Tensor:
        return self._common_step(batch, "train")

    def validation_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> torch.Tensor:
        return self._common_step(batch, "val")

    def test_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> torch.Tensor:
        return self._common_step(batch, "test")
