"""Signals that stop training, acted on at a step boundary by every rank together.

- ``SIGUSR1`` in a Slurm job: the sbatch script asks Slurm for it 90 s before the time
  limit (``--signal=USR1@90``). The run's ``last.ckpt`` is written, rank 0 requeues the
  job (``scontrol requeue``) and training stops with ``SlurmRequeued``: the run goes back
  to ``queued`` and the requeued job resumes from that checkpoint (global step, optimiser,
  scheduler, random generators), as ``paretolab runs resume`` does.
- ``SIGTERM`` under DDP (cancel, ``scancel``, a time limit): every rank raises Lightning's
  ``SIGTERMException`` at the same step, so ``CheckpointOnCancel`` saves ``last.ckpt`` and
  the run ends cancelled. In one process Lightning's own handling is left alone.

The handlers only raise a flag; after each training step the ranks agree on the flags
(one small all-reduce, on the host: a gloo group of its own, so reading the result never
waits for a GPU's queued work) and act together. Lightning acts inside its handlers: its
SIGTERM handler broadcasts to the other ranks from within the handler, which deadlocked
here when another rank was inside the step's gradient all-reduce (2 CPU ranks, gloo);
its Slurm auto-requeue checkpoints inside the handler, wherever the step is, and our
store logger's flush may hold its lock there.
"""

from __future__ import annotations

import logging
import re
import signal
import subprocess
import threading
from pathlib import Path
from types import TracebackType
from typing import Any

import lightning.pytorch as pl
import torch
import torch.distributed as dist
from lightning.pytorch.utilities.exceptions import SIGTERMException

log = logging.getLogger(__name__)

REQUEUE_SIGNAL = signal.SIGUSR1
_JOB_ID = re.compile(r"^[0-9]+(_[0-9]+)?$")


class SlurmRequeued(Exception):
    """Training stopped because its Slurm job was requeued; the job resumes it later."""


class StopSignals(pl.Callback):
    """Turns SIGUSR1 (in a Slurm job) and SIGTERM (under DDP) into a stop at a step boundary.

    Use as a context manager around ``trainer.fit`` (it listens for SIGUSR1 inside) and as
    a callback of that trainer.

    Args:
        checkpoint_dir: the run's checkpoint folder (``last.ckpt`` is written there).
        slurm_job_id: the Slurm job to requeue on SIGUSR1 (``SLURM_JOB_ID``); None outside
            Slurm.
    """

    def __init__(self, checkpoint_dir: Path, slurm_job_id: str | None = None):
        if slurm_job_id is not None and not _JOB_ID.match(slurm_job_id):
            raise ValueError(f"not a Slurm job id: {slurm_job_id!r}")
        self.checkpoint_dir, self.job_id = Path(checkpoint_dir), slurm_job_id
        self.requeue_asked = self.stop_asked = False
        self._previous: Any = None
        self._group: Any = None  # the ranks' host-side (gloo) group, under DDP

    def __enter__(self) -> StopSignals:
        if self.job_id and threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(REQUEUE_SIGNAL, self._on_usr1)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._previous is not None:
            signal.signal(REQUEUE_SIGNAL, self._previous)
            self._previous = None

    def _on_usr1(self, signum: int, frame: object) -> None:
        self.requeue_asked = True

    def _on_sigterm(self, signum: int, frame: object) -> None:
        self.stop_asked = True

    def on_train_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if trainer.world_size == 1:
            return
        # Every rank creates it here, together (new_group is a collective).
        self._group = dist.new_group(backend="gloo")
        # After Lightning registered its handlers, which it restores when fit ends.
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, self._on_sigterm)

    def on_train_batch_end(
        self,
        trainer: pl.Trainer,
        pl_module: pl.LightningModule,
        outputs: Any,
        batch: Any,
        batch_idx: int,
    ) -> None:
        stop, requeue = self._agree(trainer)
        if stop:
            raise SIGTERMException()  # CheckpointOnCancel saves; the run ends cancelled
        if requeue:
            self.requeue_asked = False
            self._checkpoint_and_requeue(trainer)

    def _agree(self, trainer: pl.Trainer) -> tuple[bool, bool]:
        """The flags of any rank, on every rank (host tensors: no device sync)."""
        if trainer.world_size == 1:
            return False, self.requeue_asked
        flags = torch.tensor([float(self.stop_asked), float(self.requeue_asked)])
        dist.all_reduce(flags, group=self._group)
        stop, requeue = flags.tolist()
        return stop > 0, requeue > 0

    def _checkpoint_and_requeue(self, trainer: pl.Trainer) -> None:
        path = self.checkpoint_dir / "last.ckpt"
        # Every rank: a collective. weights_only=False saves the optimiser and loop state
        # for resuming; loads stay torch.load(weights_only=True).
        trainer.save_checkpoint(path, weights_only=False)
        requeued = self._requeue() if trainer.is_global_zero else False
        if trainer.world_size > 1:
            requeued = trainer.strategy.broadcast(requeued, src=0)
        if requeued:
            log.info("saved %s at global step %d; job requeued", path, trainer.global_step)
            raise SlurmRequeued(f"Slurm job {self.job_id} requeued at step {trainer.global_step}")
        # Not requeued: train on; the time limit ends the job (SIGTERM: cancelled).

    def _requeue(self) -> bool:
        try:
            done = subprocess.run(
                ["scontrol", "requeue", str(self.job_id)],
                capture_output=True,
                text=True,
                timeout=60,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            log.warning("could not requeue Slurm job %s: %s", self.job_id, exc)
            return False
        if done.returncode != 0:
            log.warning("scontrol requeue %s failed: %s", self.job_id, done.stderr.strip())
        return done.returncode == 0
