"""The terminal progress bar of a run: TQDM's, fed host values so it never waits on a device.

Lightning's bar shows the metrics logged with ``prog_bar=True``, and its loop turns each of
them into a Python number with ``.item()`` after *every* training step (the logger
connector's ``on_batch_end``), not only on the steps that log: on a GPU that is a
host-device synchronisation per step, even for a value logged hundreds of steps before.
So ``train_loss`` is logged without ``prog_bar`` and this bar shows the value the store
logger last took instead, already a float.
"""

from __future__ import annotations

from typing import Any

import lightning.pytorch as pl
from lightning.pytorch.callbacks import TQDMProgressBar

from lightning_modules.callbacks.store_logger import StoreLogger

# Redrawing the bar every step cost ~3 ms per step (tqdm, plus W&B's console capture).
PROGRESS_REFRESH_STEPS = 10
SHOWN_FROM_STORE = ("train_loss",)


class StoreProgressBar(TQDMProgressBar):
    """TQDM's bar, redrawn every ``PROGRESS_REFRESH_STEPS`` steps, with ``train_loss`` as the
    store logger last took it (see the module)."""

    def __init__(self, refresh_rate: int = PROGRESS_REFRESH_STEPS) -> None:
        super().__init__(refresh_rate=refresh_rate)

    def get_metrics(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule
    ) -> dict[str, int | str | float | dict[str, float]]:
        metrics: dict[str, Any] = super().get_metrics(trainer, pl_module)
        for logger in trainer.loggers:
            if isinstance(logger, StoreLogger):
                latest = logger.latest
                metrics |= {key: latest[key] for key in SHOWN_FROM_STORE if key in latest}
        return metrics
