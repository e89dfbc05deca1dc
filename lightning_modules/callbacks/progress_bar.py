"""The terminal progress bar of a run: TQDM's, fed host values so it never waits on a device.

Lightning's bar shows the metrics logged with ``prog_bar=True``, and its loop turns each of
them into a Python number with ``.item()`` after *every* training step (the logger
connector's ``on_batch_end``), not only on the steps that log: on a GPU that is a
host-device synchronisation per step, even for a value logged hundreds of steps before.
So ``train_loss`` is logged without ``prog_bar`` and this bar shows the value the store
logger last took instead, already a float.

Redrawing costs milliseconds (tqdm writes the line; W&B's console capture reads it back), so
the training bar redraws every ``PROGRESS_REFRESH_STEPS`` steps but at most every
``MIN_REDRAW_SECONDS``: a 7 ms step would otherwise redraw 14 times a second. Lightning
redraws twice per update (``refresh`` then ``set_postfix``); this bar once.
"""

from __future__ import annotations

import time
from typing import Any

import lightning.pytorch as pl
from lightning.pytorch.callbacks import TQDMProgressBar

from lightning_modules.callbacks.store_logger import StoreLogger

# Redrawing the bar every step cost ~3 ms per step (tqdm, plus W&B's console capture).
PROGRESS_REFRESH_STEPS = 10
MIN_REDRAW_SECONDS = 0.5
SHOWN_FROM_STORE = ("train_loss",)


class StoreProgressBar(TQDMProgressBar):
    """TQDM's bar, redrawn every ``PROGRESS_REFRESH_STEPS`` steps, with ``train_loss`` as the
    store logger last took it (see the module)."""

    def __init__(self, refresh_rate: int = PROGRESS_REFRESH_STEPS) -> None:
        super().__init__(refresh_rate=refresh_rate)
        self._last_redraw = float("-inf")

    def on_train_batch_end(
        self,
        trainer: pl.Trainer,
        pl_module: pl.LightningModule,
        outputs: Any,
        batch: Any,
        batch_idx: int,
    ) -> None:
        if not self.is_enabled or self.train_progress_bar.disable:
            return
        bar, n = self.train_progress_bar, batch_idx + 1
        last = n == bar.total
        if n % self.refresh_rate and not last:
            return
        now = time.monotonic()
        if now - self._last_redraw < MIN_REDRAW_SECONDS and not last:
            return
        self._last_redraw = now
        bar.n = n
        bar.set_postfix(self.get_metrics(trainer, pl_module))  # draws the line once

    def get_metrics(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule
    ) -> dict[str, int | str | float | dict[str, float]]:
        metrics: dict[str, Any] = super().get_metrics(trainer, pl_module)
        for logger in trainer.loggers:
            if isinstance(logger, StoreLogger):
                latest = logger.latest
                metrics |= {key: latest[key] for key in SHOWN_FROM_STORE if key in latest}
        return metrics
