"""Text classification: a Transformer encoder with a pooled head, cross-entropy, macro metrics."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from torchmetrics import MetricCollection
from torchmetrics.classification import (
    MulticlassAccuracy,
    MulticlassConfusionMatrix,
    MulticlassF1Score,
    MulticlassPrecision,
    MulticlassRecall,
)

from lightning_modules.models import EncoderClassifier, TransformerConfig, VisionTransformer
from lightning_modules.tasks.base import OptimizedTask
from paretolab.config import RunConfig
from paretolab.config.io import parse_config


class ClassificationTask(OptimizedTask):
    """One label per example: texts with a Transformer encoder, images with a ViT.

    Args:
        config: the run config as a plain dict (saved in every checkpoint).
        vocab_size: the trained tokenizer's vocabulary size (texts).
        class_names: label names, index = class id.
        image_shape: ``[channels, height, width]`` (images).
    """

    def __init__(
        self,
        config: dict[str, Any],
        vocab_size: int,
        class_names: list[str],
        image_shape: list[int] | None = None,
    ):
        super().__init__()
        self.save_hyperparameters()
        self.config: RunConfig = parse_config(config)
        self.model = self.build_model(vocab_size, class_names, image_shape)
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

    def build_model(
        self, vocab_size: int, class_names: list[str], image_shape: list[int] | None
    ) -> nn.Module:
        """The network: a ViT for images, else a Transformer encoder with a class head."""
        if self.config.model.family == "vit":
            if image_shape is None:
                raise ValueError("a ViT needs the image shape")
            shape = TransformerConfig.from_run(
                self.config, num_classes=len(class_names), image_shape=tuple(image_shape)
            )
            return VisionTransformer(shape)
        return EncoderClassifier(
            TransformerConfig.from_run(self.config, vocab_size, len(class_names))
        )

    def forward(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        """Logits ``(B, classes)`` for a batch of texts (ids + mask) or images (pixels)."""
        if "pixels" in batch:
            return self.model(batch["pixels"])
        return self.model(batch["input_ids"], batch["attention_mask"])

    def loss_of(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        """Mean cross-entropy of the batch's labels."""
        return F.cross_entropy(per_text(self(batch), batch), batch["labels"])

    def _common_step(self, batch: dict[str, torch.Tensor], stage: str) -> torch.Tensor:
        size = batch["labels"].shape[0]
        if stage == "train":
            loss = self.training_loss(batch)
            self.log_train_loss(loss, size)
            return loss
        logits = per_text(self(batch), batch)
        loss = F.cross_entropy(logits, batch["labels"])
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


def per_text(logits: torch.Tensor, batch: dict[str, torch.Tensor]) -> torch.Tensor:
    """One row of logits per text: the mean over a text's windows where the batch holds
    several per text (``text_of_row``, from ``data.eval_windows``), else ``logits`` as is."""
    owner = batch.get("text_of_row")
    if owner is None:
        return logits
    texts = batch["labels"].shape[0]
    sums = logits.new_zeros(texts, logits.shape[-1]).index_add_(0, owner, logits)
    counts = torch.bincount(owner, minlength=texts).clamp_min(1).to(logits.dtype)
    return sums / counts[:, None]
