"""Lightning side effects: metrics into the run store, a checkpoint on cancel, atomic writes."""

from __future__ import annotations

import csv
import io
import json
import logging
import os
import random
import threading
import time
from pathlib import Path
from typing import Any

import lightning.pytorch as pl
import numpy as np
import torch
from lightning.fabric.utilities.cloud_io import get_filesystem
from lightning.pytorch.loggers import Logger
from lightning.pytorch.plugins.io import TorchCheckpointIO
from lightning.pytorch.utilities.exceptions import SIGTERMException
from sqlalchemy import exc as sa_exc

from lightning_modules.store_outage import Outage
from paretolab.store import MetricPoint, RunStore

log = logging.getLogger(__name__)

MAX_BUFFERED_POINTS = 1_000_000


class StoreLogger(Logger):
    """A Lightning logger that writes metrics to the run store in batches.

    Points are buffered and written every ``flush_every`` points or ``flush_seconds``
    seconds, and at the end of training — also after an exception or SIGTERM, since
    Lightning calls ``finalize`` on every exit path. A failed write (database down) keeps
    the points buffered for the next try; writes are upserts on (run, key, step), so a
    retry never duplicates a point. When writes go through again, the outage (start,
    length, points that waited) goes to the run's log and its metrics (``store_outage``).
    ``prefix`` goes before every key (``fold0/`` for the
    first fold of a cross-validation, whose steps restart at 0 like its own curves). Under
    DDP only ``rank`` 0 writes: one point per key and step.

    Thread-safe: the system-metrics sampler logs from its own thread. One flush writes at
    a time, in the order the points were logged.
    """

    def __init__(
        self,
        store: RunStore,
        run_id: int,
        flush_every: int = 500,
        flush_seconds: float = 5.0,
        prefix: str = "",
        rank: int = 0,
    ):
        super().__init__()
        self.store, self.run_id, self.prefix, self.rank = store, run_id, prefix, rank
        self.flush_every, self.flush_seconds = flush_every, flush_seconds
        self._buffer: list[MetricPoint] = []
        self._last_flush = time.monotonic()
        self._buffer_lock = threading.Lock()  # guards _buffer and _last_flush
        self._write_lock = threading.Lock()  # one write to the store at a time, in order
        self._outage: Outage | None = None  # since the first write that failed, if any

    @property
    def name(self) -> str:
        return "paretolab"

    @property
    def version(self) -> str:
        return str(self.run_id)

    def log_hyperparams(self, params: Any, *args: Any, **kwargs: Any) -> None:
        """The config is already in the store with the run; nothing more to write."""

    def log_metrics(self, metrics: dict[str, float], step: int | None = None) -> None:
        if self.rank != 0:
            return
        now = time.time()
        step = int(step or 0)
        points = [
            (self.prefix + key, step, float(v.item() if isinstance(v, torch.Tensor) else v), now)
            for key, v in metrics.items()
        ]
        with self._buffer_lock:
            self._buffer += points
            due = (
                len(self._buffer) >= self.flush_every
                or time.monotonic() - self._last_flush >= self.flush_seconds
            )
        if due:
            self.flush()

    def flush(self) -> bool:
        """Write buffered points. Returns False (and keeps them) if the store is unreachable."""
        with self._write_lock:
            with self._buffer_lock:
                self._last_flush = time.monotonic()
                batch, self._buffer = self._buffer, []
            if not batch:
                return True
            stored = True
            try:
                self.store.log_metrics(self.run_id, batch)
            except (sa_exc.OperationalError, sa_exc.InterfaceError, ConnectionError) as exc:
                # The database may be briefly unreachable: keep the points for the next
                # flush, up to a cap, so a long outage cannot exhaust memory.
                if self._outage is None:
                    self._outage = Outage(began=time.time(), first_step=batch[0][1])
                with self._buffer_lock:
                    self._buffer = batch + self._buffer
                    if len(self._buffer) > MAX_BUFFERED_POINTS:
                        dropped = len(self._buffer) - MAX_BUFFERED_POINTS
                        self._buffer = self._buffer[dropped:]
                        self._outage.dropped += dropped
                        log.error("metric buffer full: dropped the %d oldest points", dropped)
                    kept = len(self._buffer)
                log.warning("could not write %d metric points yet (%s); will retry", kept, exc)
                return False
            except Exception:
                # Not a connectivity problem (e.g. a rejected key): retrying cannot help, and
                # keeping the batch would block every later point.
                log.exception("dropped %d metric points the store refused", len(batch))
                stored = False
            if self._outage is not None:
                self._record_outage(len(batch), stored)
            return True

    def _record_outage(self, waited: int, stored: bool) -> None:
        """The database is back: say in the run's log and in its metrics that it was gone."""
        line, points = self._outage.report(waited, self.prefix, stored)
        self._outage = None
        log.warning(line)
        try:
            self.store.log_metrics(self.run_id, points)
        except Exception:  # gone again: the log line still tells
            log.exception("could not record the database outage with the run")

    def save(self) -> None:
        """Called by Lightning at checkpoints: a natural moment to flush."""
        self.flush()

    def finalize(self, status: str) -> None:
        self.flush()


class ReportStepBudget(pl.Callback):
    """Logs the run's total optimiser steps once (``trainer/total_steps``) for progress and ETA."""

    def on_train_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        total = trainer.estimated_stepping_batches
        if total != float("inf"):
            for logger in trainer.loggers:
                logger.log_metrics({"trainer/total_steps": float(total)}, step=0)


class ConfusionMatrixArtifact(pl.Callback):
    """Writes the test confusion matrix (rows: true class, columns: predicted) as JSON."""

    def __init__(self, path: Path):
        self.path = Path(path)

    def on_test_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        confusion = getattr(pl_module, "test_confusion", None)
        if confusion is None:
            return
        doc = {
            "labels": list(pl_module.hparams.get("class_names", [])),
            "matrix": confusion.compute().int().tolist(),  # every rank: a collective
        }
        confusion.reset()
        if not trainer.is_global_zero:
            return
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(doc), encoding="utf-8")
        os.replace(tmp, self.path)


class PredictionsArtifact(pl.Callback):
    """Writes the test predictions of a regression as CSV: text (a preview), target, prediction.

    Reads the task's ``test_predictions`` (target, prediction pairs in loader order) and
    the data module's ``test_texts`` (the same order: the test loader does not shuffle).
    """

    PREVIEW_CHARS = 100

    def __init__(self, path: Path):
        self.path = Path(path)

    def on_test_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        pairs = getattr(pl_module, "test_predictions", None)
        if pairs is None or not trainer.is_global_zero:
            return
        texts = getattr(trainer.datamodule, "test_texts", None) or [""] * len(pairs)
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(["text", "target", "prediction"])
        for text, (target, prediction) in zip(texts, pairs, strict=True):
            preview = " ".join(text.split())[: self.PREVIEW_CHARS]
            # 7 significant digits: what the float32 targets and predictions hold.
            writer.writerow([preview, f"{target:.7g}", f"{prediction:.7g}"])
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(buf.getvalue(), encoding="utf-8")
        os.replace(tmp, self.path)


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
