"""Slurm auto-requeue at a step boundary: checkpoint, ``scontrol requeue``, stop.

The sbatch script asks Slurm for ``SIGUSR1`` 90 s before the job's time limit
(``--signal=USR1@90``). The handler here only raises a flag; at the end of the next
training step every rank agrees on it, the run's ``last.ckpt`` is written, rank 0 requeues
the job, and training stops with ``SlurmRequeued``: the run goes back to ``queued`` and the
requeued job resumes from that checkpoint (global step, optimiser, scheduler, random
generators), as ``paretolab runs resume`` does.

Lightning's own ``SLURMEnvironment(auto_requeue=True)`` does the same inside the signal
handler, at whatever point the step has reached; a checkpoint there may hold half an
optimiser update, and a handler that flushes our store logger may find its lock held.
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

log = logging.getLogger(__name__)

REQUEUE_SIGNAL = signal.SIGUSR1
_JOB_ID = re.compile(r"^[0-9]+(_[0-9]+)?$")


class SlurmRequeued(Exception):
    """Training stopped because its Slurm job was requeued; the job resumes it later."""


class SlurmRequeue(pl.Callback):
    """Requeues the run's Slurm job when it is told its time is nearly up.

    Use as a context manager around ``trainer.fit`` (it listens for the signal inside) and
    as a callback of that trainer.

    Args:
        checkpoint_dir: the run's checkpoint folder (``last.ckpt`` is written there).
        job_id: the Slurm job to requeue (``SLURM_JOB_ID``).
    """

    def __init__(self, checkpoint_dir: Path, job_id: str):
        if not _JOB_ID.match(job_id):
            raise ValueError(f"not a Slurm job id: {job_id!r}")
        self.checkpoint_dir, self.job_id = Path(checkpoint_dir), job_id
        self.signalled = False
        self._previous: Any = None

    def __enter__(self) -> SlurmRequeue:
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(REQUEUE_SIGNAL, self._on_signal)
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

    def _on_signal(self, signum: int, frame: object) -> None:
        self.signalled = True  # only a flag: the work waits for the step boundary

    def on_train_batch_end(
        self,
        trainer: pl.Trainer,
        pl_module: pl.LightningModule,
        outputs: Any,
        batch: Any,
        batch_idx: int,
    ) -> None:
        asked = self.signalled
        if trainer.world_size > 1:  # ranks get the signal at different steps: any one counts
            asked = trainer.strategy.reduce_boolean_decision(asked, all=False)
        if not asked:
            return
        self.signalled = False
        path = self.checkpoint_dir / "last.ckpt"
        trainer.save_checkpoint(path, weights_only=False)  # every rank: a collective under DDP
        requeued = self._requeue() if trainer.is_global_zero else False
        requeued = trainer.strategy.broadcast(requeued, src=0)
        if requeued:
            log.info("saved %s at global step %d; job requeued", path, trainer.global_step)
            raise SlurmRequeued(f"Slurm job {self.job_id} requeued at step {trainer.global_step}")
        # Not requeued: train on; the time limit ends the job (SIGTERM, then cancelled).

    def _requeue(self) -> bool:
        try:
            done = subprocess.run(
                ["scontrol", "requeue", self.job_id], capture_output=True, text=True, timeout=60
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            log.warning("could not requeue Slurm job %s: %s", self.job_id, exc)
            return False
        if done.returncode != 0:
            log.warning("scontrol requeue %s failed: %s", self.job_id, done.stderr.strip())
        return done.returncode == 0
