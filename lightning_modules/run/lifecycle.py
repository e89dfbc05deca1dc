"""A run's life inside its training process: running → finished | failed | cancelled | pruned.

``RunLifecycle`` wraps the training code. On entry it marks the run running with this
process's pid, starts a heartbeat thread and turns SIGTERM/SIGINT into a cancel request.
On exit it flushes metrics, records the run's files as artifacts and sets the final status:
an exception → failed with its text, SIGTERM → cancelled, one of ``pruned_exceptions``
(a sweep's pruner stopping the trial) → pruned, a requeued Slurm job → queued again (its
next start resumes), else finished.

Under DDP every process enters a lifecycle, but only global rank 0 touches the store: the
others keep the graceful SIGTERM and nothing else, so a run starts, beats and ends once.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from lightning.pytorch.utilities.exceptions import SIGTERMException

from lightning_modules.run.stop_signals import SlurmRequeued
from paretolab.errors import UserError
from paretolab.store import CANCELLED, FAILED, FINISHED, PRUNED, QUEUED, RunStore

log = logging.getLogger(__name__)

# What a file in a run folder is, by name first, then by suffix.
ARTIFACT_NAMES = {
    "tokenizer.json": "tokenizer",
    "target_tokenizer.json": "tokenizer",
    "translations.jsonl": "translations",
    "config.yaml": "config",
    "confusion_matrix.json": "confusion_matrix",
    "samples.txt": "samples",
    "predictions.csv": "predictions",
    "cv_summary.json": "cv_summary",
    "cost.json": "cost",
}
ARTIFACT_SUFFIXES = {".ckpt": "checkpoint", ".log": "log"}


class CancelRequested(Exception):
    """SIGTERM arrived outside Lightning's loops (e.g. while the data was being prepared)."""


class RunAlreadyEnded(UserError):
    """The run was finished, failed or cancelled before this process could start it."""


class RunLifecycle:
    """Context manager for one run's training process.

    Args:
        store: the run store.
        run_id: the run to drive.
        run_dir: its folder (artifacts are recorded relative to it).
        heartbeat_seconds: how often the heartbeat thread records that the process lives.
        pruned_exceptions: exceptions that mean "stopped early by a pruner" (a sweep passes
            ``optuna.TrialPruned``; this package imports no optuna).
        rank: this process's global rank under DDP; only rank 0 records anything.
    """

    def __init__(
        self,
        store: RunStore,
        run_id: int,
        run_dir: Path,
        heartbeat_seconds: float = 10.0,
        pruned_exceptions: tuple[type[BaseException], ...] = (),
        rank: int = 0,
    ):
        self.store, self.run_id, self.run_dir = store, run_id, Path(run_dir)
        self.rank = rank
        self.heartbeat_seconds = heartbeat_seconds
        self.pruned_exceptions = pruned_exceptions
        self.cancel_requested = False
        self.final_status: str | None = None
        self.user_error: UserError | None = None  # the bad input that failed the run, if any
        self.exit_hooks: list[Callable[[], object]] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._old_handlers: dict[int, object] = {}

    def __enter__(self) -> RunLifecycle:
        if self.rank == 0 and not self.store.mark_running(self.run_id, os.getpid()):
            run = self.store.get_run(self.run_id)
            raise RunAlreadyEnded(f"run {self.run_id} is {run.status}; start a new run instead")
        if threading.current_thread() is threading.main_thread():
            self._old_handlers = {
                signal.SIGTERM: signal.signal(signal.SIGTERM, self._on_sigterm),
                # Ctrl-C in a terminal: the same graceful stop as a cancel.
                signal.SIGINT: signal.signal(signal.SIGINT, self._on_sigint),
            }
        if self.rank == 0:
            self._thread = threading.Thread(
                target=self._beat, name="paretolab-heartbeat", daemon=True
            )
            self._thread.start()
        return self

    def check_cancelled(self) -> None:
        """Raise ``CancelRequested`` if a cancel arrived (call between phases)."""
        if self.cancel_requested:
            raise CancelRequested("cancelled before training finished")

    def _on_sigterm(self, signum: int, frame: object) -> None:
        # Only a flag: Lightning, when fitting, adds its own handler and stops at the
        # next step boundary; outside fit, check_cancelled() stops between phases.
        self.cancel_requested = True

    def _on_sigint(self, signum: int, frame: object) -> None:
        os.kill(os.getpid(), signal.SIGTERM)

    def _beat(self) -> None:
        while not self._stop.wait(self.heartbeat_seconds):
            try:
                self.store.heartbeat(self.run_id)
            except Exception as exc:  # the database may be briefly unreachable
                log.warning("heartbeat failed: %s", exc)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        self._stop.set()
        for hook in self.exit_hooks:
            try:
                hook()
            except Exception:
                log.exception("an exit hook failed")
        if self.rank == 0:
            try:
                record_artifacts(self.store, self.run_id, self.run_dir)
            except Exception:
                log.exception("recording artifacts failed")
        if isinstance(exc, SlurmRequeued):
            self.final_status = QUEUED
        elif exc is None:
            self.final_status = CANCELLED if self.cancel_requested else FINISHED
        elif isinstance(exc, (SIGTERMException, CancelRequested, KeyboardInterrupt)):
            self.final_status = CANCELLED
        elif isinstance(exc, self.pruned_exceptions):
            self.final_status = PRUNED
        else:
            self.final_status = FAILED
            self.user_error = exc if isinstance(exc, UserError) else None
        error = None
        if self.final_status == FAILED:
            error = (
                str(exc) if isinstance(exc, UserError) else "".join(traceback.format_exception(exc))
            )
            log.error("run %s failed:\n%s", self.run_id, error)
        if self.rank == 0:
            _with_retries(lambda: self._record_outcome(error))
        for signum, handler in self._old_handlers.items():
            signal.signal(signum, handler)  # type: ignore[arg-type]
        # Swallow the exception: the outcome is in the store and in final_status, and
        # main() maps it to an exit code.
        return True

    def _record_outcome(self, error: str | None) -> None:
        if self.final_status == FINISHED:
            self.store.mark_finished(self.run_id)
        elif self.final_status == CANCELLED:
            self.store.mark_cancelled(self.run_id)
        elif self.final_status == PRUNED:
            self.store.mark_pruned(self.run_id)
        elif self.final_status == QUEUED:
            if not self.store.release(self.run_id):
                self.store.mark_cancelled(self.run_id)  # a cancel came first: it wins
        else:
            self.store.mark_failed(self.run_id, error or "failed")


def _with_retries(write: Callable[[], object], attempts: int = 5, first_wait: float = 1.0) -> None:
    """Run a store write, retrying a few times: the outcome of a run must not be lost to a
    database that is down for a few seconds (the reaper is the last resort)."""
    for attempt in range(attempts):
        try:
            write()
            return
        except Exception:
            if attempt == attempts - 1:
                log.exception("could not record the run's outcome")
                return
            time.sleep(first_wait * 2**attempt)


def record_artifacts(store: RunStore, run_id: int, run_dir: Path) -> None:
    """Record the run folder's checkpoints, tokenizer, config, logs and W&B files."""
    if not run_dir.is_dir():
        return
    for path in sorted(run_dir.rglob("*")):
        rel = path.relative_to(run_dir)
        if rel.parts[0] == "wandb" or not path.is_file() or path.name.startswith("."):
            continue
        kind = ARTIFACT_NAMES.get(path.name) or ARTIFACT_SUFFIXES.get(path.suffix)
        if kind:
            store.add_artifact(run_id, rel.as_posix(), kind, path.stat().st_size)
    wandb_dir = run_dir / "wandb"
    if wandb_dir.is_dir():
        size = sum(p.stat().st_size for p in wandb_dir.rglob("*") if p.is_file())
        store.add_artifact(run_id, "wandb", "wandb", size)
