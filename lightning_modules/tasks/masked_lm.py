"""Masked-token pretraining: restore BERT-masked tokens; loss, perplexity, accuracy on them."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torchmetrics import MeanMetric

from lightning_modules.data.masking import IGNORE_INDEX
from lightning_modules.models.config import TransformerConfig
from lightning_modules.models.masked_lm import MaskedLM
from lightning_modules.tasks.base import OptimizedTask
from paretolab.config import RunConfig
from paretolab.config.io import parse_config


class MaskedLMTask(OptimizedTask):
    """Masked-token prediction with a bidirectional Transformer encoder.

    Validation and test metrics cover every masked token of the split: ``loss`` is the mean
    cross-entropy per masked token, ``ppl`` its exponential, ``acc`` the share of masked
    tokens predicted exactly.

    Args:
        config: the run config as a plain dict (saved in every checkpoint).
        vocab_size: the trained tokenizer's vocabulary size.
    """

    def __init__(self, config: dict[str, Any], vocab_size: int):
        super().__init__()
        self.save_hyperparameters()
        self.config: RunConfig = parse_config(config)
        self.model = MaskedLM(TransformerConfig.from_run(self.config, vocab_size))
        stages = ("val", "test")
        self.mean_loss = torch.nn.ModuleDict({s: MeanMetric() for s in stages})
        self.mean_acc = torch.nn.ModuleDict({s: MeanMetric() for s in stages})

    def forward(self, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        """Logits ``(N, vocab)`` at the ``N`` masked positions, and their targets ``(N,)``."""
        targets = batch["labels"] != IGNORE_INDEX  # (B, T)
        logits = self.model(batch["input_ids"], batch["attention_mask"], targets)
        return logits, batch["labels"][targets]

    def loss_of(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        """Mean cross-entropy at the masked positions."""
        logits, labels = self(batch)
        return F.cross_entropy(logits, labels)

    def training_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> torch.Tensor:
        loss = self.training_loss(batch)
        self.log_train_loss(loss, batch["labels"].shape[0])
        return loss

    def validation_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> None:
        self._accumulate(batch, "val")

    def test_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> None:
        self._accumulate(batch, "test")

    def _accumulate(self, batch: dict[str, torch.Tensor], stage: str) -> None:
        logits, labels = self(batch)
        loss = F.cross_entropy(logits, labels)
        correct = (logits.argmax(dim=-1) == labels).float().mean()
        self.mean_loss[stage].update(loss, weight=labels.numel())
        self.mean_acc[stage].update(correct, weight=labels.numel())

    def on_validation_epoch_end(self) -> None:
        self._log_epoch("val")

    def on_test_epoch_end(self) -> None:
        self._log_epoch("test")

    def _log_epoch(self, stage: str) -> None:
        loss = self.mean_loss[stage].compute()
        acc = self.mean_acc[stage].compute()
        self.mean_loss[stage].reset()
        self.mean_acc[stage].reset()
        self.log(f"{stage}_loss", loss, prog_bar=stage == "val")
        self.log(f"{stage}_ppl", torch.exp(loss))
        self.log(f"{stage}_acc", acc, prog_bar=stage == "val")
