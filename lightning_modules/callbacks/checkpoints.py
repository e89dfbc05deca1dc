"""Checkpoints that survive: saved on cancel, written atomically, read weights-only, with RNG state."""

from __future__ import annotations

import logging
import os
import random
from pathlib import Path
from typing import Any

import lightning.pytorch as pl
import numpy as np
import torch
from lightning.fabric.utilities.cloud_io import get_filesystem
from lightning.pytorch.plugins.io import TorchCheckpointIO
from lightning.pytorch.utilities.exceptions import SIGTERMException

log = logging.getLogger(__name__)

MAX_BUFFERED_POINTS = 1_000_000


class CheckpointOnCancel(pl.Callback):
    """On SIGTERM, save ``last.ckpt`` at the step boundary where Lightning stops.

    Lightning turns SIGTERM into a ``SIGTERMException`` raised between steps; saving here
    (never inside the signal handler) captures a consistent state to resume from.
    """

    def __init__(self, checkpoint_dir: Path):
        self.checkpoint_dir = Path(checkpoint_dir)

    def on_exception(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, exception: BaseException
    ) -> None:
        if isinstance(exception, SIGTERMException) and trainer.state.fn == "fit":
            path = self.checkpoint_dir / "last.ckpt"
            # weights_only=False *saves* optimiser and loop state too, for resuming; every
            # load stays torch.load(weights_only=True).
            trainer.save_checkpoint(path, weights_only=False)
            log.info("cancelled: saved %s at global step %d", path, trainer.global_step)


class RngState(pl.Callback):
    """Saves the random generators in every checkpoint and restores them on resume.

    Lightning restores step, optimiser, scheduler and loop state from ``ckpt_path`` but not
    the generators, so a resumed run would draw different dropout masks and batches than
    the uninterrupted one. Kept as plain tensors, ints and tuples: the checkpoint still
    loads with ``torch.load(weights_only=True)``.
    """

    def state_dict(self) -> dict[str, Any]:
        np_state = np.random.get_state()
        return {
            "torch": torch.get_rng_state(),
            "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
            "numpy": (np_state[0], torch.from_numpy(np_state[1].astype(np.int64)), *np_state[2:]),
            "python": random.getstate(),
        }

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        torch.set_rng_state(state_dict["torch"])
        if state_dict["cuda"] and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(state_dict["cuda"])
        kind, keys, *rest = state_dict["numpy"]
        np.random.set_state((kind, keys.numpy().astype(np.uint32), *rest))
        random.setstate(state_dict["python"])


class AtomicCheckpointIO(TorchCheckpointIO):
    """Writes each checkpoint to a temporary file, then renames it into place; reads with
    ``weights_only=True`` only.

    A process killed mid-write leaves the previous checkpoint intact (a rename is atomic
    on one filesystem); Lightning's default IO writes in place. A checkpoint is a pickle:
    read unrestricted, a file someone put in a run folder could run code on resume, so
    every read is restricted to tensors and plain containers, with no fallback.
    """

    def load_checkpoint(
        self, path: Any, map_location: Any = None, weights_only: bool | None = None
    ) -> dict[str, Any]:
        if weights_only is False:
            raise ValueError("paretolab loads checkpoints with weights_only=True only")
        with open(path, "rb") as fh:
            return torch.load(fh, map_location=map_location or "cpu", weights_only=True)

    def save_checkpoint(
        self, checkpoint: dict[str, Any], path: Any, storage_options: Any = None
    ) -> None:
        path = Path(path)
        get_filesystem(path).makedirs(str(path.parent), exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        try:
            with open(tmp, "wb") as fh:
                torch.save(checkpoint, fh)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
