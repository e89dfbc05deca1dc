"""The executor: a small daemon that hands queued runs to whatever trains them.

One executor per paretolab home (a lock file makes sure). It polls the store. The local
one (default) starts queued runs oldest first: a run without GPUs while fewer than
``max_concurrent`` such runs train on this host, a GPU run when the GPUs it asks for are
free, pinned to them through ``CUDA_VISIBLE_DEVICES`` (``gpu_queue``: the policy, and the
reason recorded for a run that waits); cancel requests become SIGTERM to the run's process
group, then SIGKILL after a grace period; processes that died are reaped and the GPUs of
runs that ended freed. With ``PARETOLAB_EXECUTOR=slurm`` it submits them to Slurm instead
(``slurm_executor``). The dashboard starts it on demand (``ensure_executor``);
``paretolab executor`` runs it in the foreground.

It is the only scheduler paretolab writes; sweeps and clusters use Optuna and Slurm.
"""

from __future__ import annotations

import argparse
import fcntl
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from paretolab import gpu_inventory, memory_fit, processes, settings
from paretolab.errors import RunNotFound
from paretolab.executors import gpu_queue, launcher, training_process
from paretolab.executors.base import Executor
from paretolab.store import RUNNING, Run, RunStore

log = logging.getLogger(__name__)

MAX_CONCURRENT_ENV = "PARETOLAB_MAX_CONCURRENT"
CANCEL_GRACE_SECONDS = 25.0
IDLE_EXIT_SECONDS = float(os.environ.get("PARETOLAB_EXECUTOR_IDLE_EXIT", "600"))


def default_max_concurrent() -> int:
    """Runs trained at once on this host: ``PARETOLAB_MAX_CONCURRENT`` or 1."""
    return max(1, int(os.environ.get(MAX_CONCURRENT_ENV, "1")))


class LocalExecutor(Executor):
    """Starts, cancels and reaps training processes on this host.

    Args:
        store: the run store.
        max_concurrent: most runs training at once on this host.
        grace_seconds: time between SIGTERM and SIGKILL when cancelling.
    """

    def __init__(
        self, store: RunStore, max_concurrent: int = 1, grace_seconds: float = CANCEL_GRACE_SECONDS
    ):
        self.store, self.max_concurrent, self.grace_seconds = store, max_concurrent, grace_seconds
        self.host = socket.gethostname()
        self._children: dict[int, subprocess.Popen] = {}  # run id → process we started
        self._sigterm_sent: dict[int, float] = {}  # run id → when we asked it to stop
        # run id → its memory estimate per GPU, and what would make it fit
        self._need_gb: dict[int, tuple[float | None, str]] = {}
        self._backfill_for: float | None = None  # read from the environment once, if needed

    def tick(self) -> list[int]:
        """One round: settle ended children, act on cancels, reap, free the GPUs of runs
        that ended, start queued runs (see ``gpu_queue`` for which, and on which GPUs).

        Returns the ids of the runs started.
        """
        self._settle_children()
        self._handle_cancels()
        launcher.reap_orphans(self.store)
        self.store.release_ended_holdings(processes.group_alive)
        queued = launcher.local_queue(self.store)
        if not queued:
            return []
        gpus = gpu_inventory.inventory()
        holdings = self.store.gpu_holdings(self.host)
        if not gpus and holdings:  # NVML failed on a host whose GPUs are in use: not a CPU host
            queued = self._hold_back_gpu_runs(queued)
        gpu_runs = {h.run_id for h in holdings}
        running = [r for r in self.store.list_runs([RUNNING]) if r.host == self.host]
        decided = gpu_queue.plan(
            gpu_queue.as_queued(queued, bool(gpus), self._estimate),
            gpus,
            held={h.gpu_index for h in holdings},
            cpu_slots=self.max_concurrent - sum(r.id not in gpu_runs for r in running),
            now=time.time(),
            backfill_for=self._backfill_seconds() if gpus else 0.0,
        )
        for run_id, reason in decided.refused.items():
            self.store.mark_failed(run_id, f"not started: {reason}")
        recorded = {r.id: r.queue_reason for r in queued}
        for run_id, reason in decided.waiting.items():
            if recorded[run_id] != reason:  # a write only when the reason changes
                self.store.set_queue_reason(run_id, reason)
        self._need_gb = {i: gb for i, gb in self._need_gb.items() if i in recorded}
        return [run_id for run_id, chosen in decided.starts if self._start(run_id, chosen)]

    def _hold_back_gpu_runs(self, queued: list[Run]) -> list[Run]:
        """The runs that may start without the inventory (``accelerator: cpu``); the others
        wait with the reason, rather than start unpinned on GPUs that others hold."""
        for run in queued:
            if gpu_queue.may_use_gpus(run.config) and run.queue_reason != gpu_queue.BLIND_REASON:
                self.store.set_queue_reason(run.id, gpu_queue.BLIND_REASON)
        return [r for r in queued if not gpu_queue.may_use_gpus(r.config)]

    def _backfill_seconds(self) -> float:
        if self._backfill_for is None:
            self._backfill_for = gpu_queue.backfill_seconds()
        return self._backfill_for

    def _estimate(self, run: Run) -> tuple[float | None, str]:
        if run.id not in self._need_gb:  # estimated once per run
            self._need_gb[run.id] = memory_fit.queue_estimate(run.config)
        return self._need_gb[run.id]

    def _start(self, run_id: int, gpus: list[int]) -> bool:
        try:
            proc = launcher.spawn_detached(self.store, run_id, gpus)
        except RunNotFound:  # deleted since we listed it
            return False
        if proc is None:  # another launcher claimed the run, or one of the GPUs, first
            return False
        self._children[run_id] = proc
        return True

    def _settle_children(self) -> None:
        for run_id, proc in list(self._children.items()):
            code = proc.poll()
            if code is None:
                continue
            try:
                launcher.settle_exit(
                    self.store, run_id, code, cancelled=run_id in self._sigterm_sent
                )
            except RunNotFound:
                # Deleted while its process was exiting: nothing left to record. Forget the
                # child, or every later tick fails on it and the queue stalls.
                log.info("run %s was deleted before its process ended (exit %s)", run_id, code)
            del self._children[run_id]
            self._sigterm_sent.pop(run_id, None)

    def _handle_cancels(self) -> None:
        now = time.monotonic()
        for run in self.store.list_runs([RUNNING]):
            if run.cancel_requested_at is None or run.host != self.host or not run.pid:
                continue
            if run.id not in self._sigterm_sent:
                launcher.signal_group(run.pid, signal.SIGTERM)
                self._sigterm_sent[run.id] = now
            elif now - self._sigterm_sent[run.id] > self.grace_seconds:
                # The grace period counts from our SIGTERM, so the run had its chance to checkpoint.
                launcher.signal_group(run.pid, signal.SIGKILL)
                self.store.mark_cancelled(run.id)

    def busy(self) -> bool:
        return bool(self._children) or super().busy()


def make_executor(store: RunStore, max_concurrent: int = 1) -> Executor:
    """The executor ``PARETOLAB_EXECUTOR`` names: local (default) or slurm."""
    if settings.executor() == "slurm":
        from paretolab.executors.slurm_executor import SlurmExecutor

        return SlurmExecutor(store)
    return LocalExecutor(store, max_concurrent)


def _lock_path() -> Path:
    return settings.home_dir() / "executor.lock"


def _try_lock() -> int | None:
    """Take the executor lock; return its file descriptor, or None if another executor holds it."""
    path = _lock_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


def executor_running() -> bool:
    """True if an executor holds this home's lock."""
    fd = _try_lock()
    if fd is None:
        return True
    os.close(fd)
    return False


def ensure_executor(store: RunStore, stop_when_idle: float = IDLE_EXIT_SECONDS) -> None:
    """Start a background executor for this home unless one runs already.

    It exits after ``stop_when_idle`` seconds with nothing queued or running; the
    dashboard starts a new one when needed.
    """
    if executor_running():
        return
    home = settings.home_dir()
    with open(home / "executor.log", "ab") as out:
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "paretolab.executors.local",
                "--stop-when-idle",
                str(stop_when_idle),
            ],
            env=training_process.executor_env(store),
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )


def main(argv: list[str] | None = None) -> int:
    """``python -m paretolab.executors.local``: serve this home's queue until stopped."""
    parser = argparse.ArgumentParser(prog="paretolab executor")
    parser.add_argument("--max-concurrent", type=int, default=default_max_concurrent())
    parser.add_argument(
        "--stop-when-idle",
        type=float,
        default=None,
        help="exit after this many seconds with nothing queued or running",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    fd = _try_lock()
    if fd is None:
        print("an executor already serves this paretolab home", file=sys.stderr)
        return 0
    pid_file = settings.home_dir() / "executor.pid"
    pid_file.write_text(str(os.getpid()))
    try:
        make_executor(RunStore(), args.max_concurrent).serve(stop_when_idle=args.stop_when_idle)
    finally:
        pid_file.unlink(missing_ok=True)
        os.close(fd)
    return 0


if __name__ == "__main__":
    sys.exit(main())
