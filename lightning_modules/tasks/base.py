"""What every task shares: the optimiser and learning-rate schedule from the config."""

from __future__ import annotations

from typing import Any

import lightning.pytorch as pl

from lightning_modules.optim import build_optimizer, build_scheduler


class OptimizedTask(pl.LightningModule):
    """A LightningModule whose ``self.model`` is trained with ``self.config.optim``."""

    def configure_optimizers(self) -> dict[str, Any]:
        optimizer = build_optimizer(self.model, self.config.optim)
        total = int(self.trainer.estimated_stepping_batches)
        minutes = self.config.trainer.max_time_minutes
        by_time = self.config.optim.decay_by_time and minutes
        scheduler = build_scheduler(
            optimizer, total, self.config.optim, minutes * 60 if by_time else None
        )
        return {
            "optimizer": optimizer,
            "lr_scheduler": {"scheduler": scheduler, "interval": "step"},
        }

    def log_train_loss(self, loss: Any, batch_size: int) -> None:
        """``train_loss`` of this step and the learning rate, on logging steps only.

        Lightning hands on-step values to the loggers every ``log_every_n_steps`` steps (the
        same test as its ``should_update_logs``), but each ``self.log`` call costs its result
        bookkeeping on every step: ~2.5 ms per call on a small CPU model, more than the model's
        forward pass (benchmarks/overhead.py). Off the logging steps we skip the calls.
        """
        if not self.is_logging_step():
            return
        # Not prog_bar: Lightning would read it back with .item() after every later step (a
        # device sync); the bar shows the store logger's copy (callbacks.progress_bar).
        self.log("train_loss", loss, on_step=True, on_epoch=False, batch_size=batch_size)
        self.log_lr()

    def is_logging_step(self) -> bool:
        """Whether the loggers take on-step values at this training step (always, for a
        step called outside a Trainer, where ``self.log`` itself only warns)."""
        trainer = self._trainer  # the public property raises when there is none
        if trainer is None:
            return True
        return (trainer.global_step + 1) % trainer.log_every_n_steps == 0 or trainer.should_stop

    def log_lr(self) -> None:
        """The current learning rate, as the ``lr`` metric (a Python float: no device sync)."""
        self.log(
            "lr", self.trainer.optimizers[0].param_groups[0]["lr"], on_step=True, on_epoch=False
        )
