"""Lightning callbacks a sweep adds to a trial's training (besides Optuna's pruning one)."""

from __future__ import annotations

import os
import signal
import time

import lightning.pytorch as pl

from paretolab.store import RunStore


class TrialFacts(pl.Callback):
    """Records the model's parameter count and the optimiser steps trained (also when the
    trial is pruned or fails part-way)."""

    def __init__(self) -> None:
        self.params = 0
        self.steps = 0

    def on_fit_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self.params = sum(p.numel() for p in pl_module.parameters())

    def on_train_batch_end(self, trainer: pl.Trainer, *args: object) -> None:
        self.steps = trainer.global_step


class CancelOnRequest(pl.Callback):
    """Stops the trial when its run's cancel is requested in the store (a stopped sweep,
    the Cancel button): a trial trains inside its worker's process, which may run on any
    machine, so the worker watches the store rather than waiting for a signal. The stop is
    a SIGTERM to this process: the run checkpoints and ends cancelled, like any run."""

    def __init__(self, store: RunStore, run_id: int, every_seconds: float = 2.0):
        self.store, self.run_id, self.every_seconds = store, run_id, every_seconds
        self._last = time.monotonic()
        self._sent = False

    def on_train_batch_end(self, trainer: pl.Trainer, *args: object) -> None:
        if self._sent or time.monotonic() - self._last < self.every_seconds:
            return
        self._last = time.monotonic()
        if self.store.get_run(self.run_id).cancel_requested_at is not None:
            self._sent = True
            os.kill(os.getpid(), signal.SIGTERM)
