"""Text regression: a Transformer encoder with a one-number head, MSE on standardised targets.

The network learns targets standardised with the training split's mean and standard
deviation (so the loss scale and learning rate do not depend on the units of the data);
every reported number — losses, MAE, RMSE, R², predictions — is in the original units.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from torchmetrics import MeanAbsoluteError, MeanSquaredError, MetricCollection, R2Score

from lightning_modules.models import EncoderClassifier, TransformerConfig
from lightning_modules.tasks.base import OptimizedTask
from paretolab.config import RunConfig
from paretolab.config.io import parse_config


class RegressionTask(OptimizedTask):
    """One number per text.

    Metrics (val and test, over the whole split, original units): ``loss`` the mean squared
    error, ``mae``, ``rmse``, ``r2``. ``train_loss`` is also shown in original units (the
    standardised loss times ``target_std²``), so it charts on the same scale as ``val_loss``.

    Args:
        config: the run config as a plain dict (saved in every checkpoint).
        vocab_size: the trained tokenizer's vocabulary size.
        target_mean: mean of the training split's targets.
        target_std: their standard deviation (> 0).
    """

    def __init__(
        self, config: dict[str, Any], vocab_size: int, target_mean: float, target_std: float
    ):
        super().__init__()
        self.save_hyperparameters()
        self.config: RunConfig = parse_config(config)
        self.target_mean, self.target_std = float(target_mean), float(target_std)
        self.model = self.build_model(vocab_size)
        metrics = MetricCollection(
            {
                "loss": MeanSquaredError(),
                "mae": MeanAbsoluteError(),
                "rmse": MeanSquaredError(squared=False),
                "r2": R2Score(),
            }
        )
        self.val_metrics = metrics.clone(prefix="val_")
        self.test_metrics = metrics.clone(prefix="test_")
        # (target, prediction) pairs of the test split, in loader order, for the artifact.
        self.test_predictions: list[tuple[float, float]] = []

    def build_model(self, vocab_size: int) -> nn.Module:
        """The network: a Transformer encoder with one output."""
        return EncoderClassifier(TransformerConfig.from_run(self.config, vocab_size, 1))

    def forward(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        """Predictions ``(B,)`` in original units."""
        return self._standardised(batch) * self.target_std + self.target_mean

    def _standardised(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        return self.model(batch["input_ids"], batch["attention_mask"]).squeeze(-1).float()

    def loss_of(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        """Mean squared error in standardised units (the scale the model learns in)."""
        target = (batch["labels"].float() - self.target_mean) / self.target_std
        return F.mse_loss(self._standardised(batch), target)

    def training_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> torch.Tensor:
        loss = self.training_loss(batch)
        self.log_train_loss(loss.detach() * self.target_std**2, batch["labels"].shape[0])
        return loss

    def validation_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> None:
        self._evaluate(batch, "val")

    def test_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> None:
        self._evaluate(batch, "test")

    def on_test_epoch_start(self) -> None:
        self.test_predictions = []

    def _evaluate(self, batch: dict[str, torch.Tensor], stage: str) -> None:
        prediction, target = self(batch), batch["labels"].float()
        metrics = self.val_metrics if stage == "val" else self.test_metrics
        metrics.update(prediction, target)
        self.log_dict(metrics, on_epoch=True, prog_bar=stage == "val", batch_size=len(target))
        if stage == "test":
            self.test_predictions += zip(target.tolist(), prediction.tolist(), strict=True)
