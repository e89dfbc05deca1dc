"""Start, cancel and watch training processes.

Every run trains in its own OS process (``python -m lightning_modules.run.train --run-id ID``),
started from an argv list (never a shell string) as its own process group, so cancel
reaches its DataLoader workers too. The store, not the process, is the source of truth:
``reap_orphans`` marks runs whose process died without reporting as failed.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from paretolab import gpu_inventory, processes, settings
from paretolab.errors import UserError
from paretolab.executors import gpu_queue, slurm
from paretolab.executors.gpu_queue import gpu_env
from paretolab.executors.training_process import child_env, prepare_run_dir
from paretolab.memory_fit import queue_estimate
from paretolab.store import QUEUED, RUNNING, Run, RunStore

STALE_HEARTBEAT_SECONDS = 120.0


def train_argv(run_id: int) -> list[str]:
    """The command line that trains one run."""
    return [sys.executable, "-m", "lightning_modules.run.train", "--run-id", str(run_id)]


def run_in_foreground(store: RunStore, run_id: int) -> int:
    """Claim the run and train it in a child process whose output goes to this terminal;
    return its exit code.

    Ctrl-C, SIGTERM or a lost terminal (SIGHUP) here becomes SIGTERM to the child
    (checkpoint, then cancelled); a second one kills it.
    """
    gpus = gpus_for_now(store, store.get_run(run_id))
    if not (store.claim_with_gpus(run_id, gpus) if gpus else store.claim(run_id)):
        raise UserError(
            f"run {run_id} is {store.get_run(run_id).status}, not queued, or its GPUs were "
            "taken meanwhile: not starting it"
        )
    proc = _spawn(store, run_id, stdout=None, gpus=gpus)
    interrupts = 0

    def forward(signum: int, frame: object) -> None:
        nonlocal interrupts
        interrupts += 1
        signal_group(proc.pid, signal.SIGTERM if interrupts == 1 else signal.SIGKILL)

    handled = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    old = {s: signal.signal(s, forward) for s in handled}
    try:
        code = proc.wait()
    finally:
        for s, handler in old.items():
            signal.signal(s, handler)
    settle_exit(store, run_id, code, cancelled=interrupts > 0)
    store.release_gpus(run_id=run_id)
    return code


def local_queue(store: RunStore) -> list[Run]:
    """The queued runs this host's executor starts: not a sweep's trials (a sweep worker
    trains them in its own process) nor runs submitted to Slurm (they wait for their job)."""
    return [
        r
        for r in store.list_runs([QUEUED])
        if r.study is None and not slurm.submission_claimed(r.id)
    ]


def gpus_for_now(store: RunStore, run: Run) -> list[int]:
    """The GPUs a queued run trained in this terminal takes now ([]: it trains without
    GPU assignment: it asks for none, or this host has no inventory).

    The whole queue is planned, as the executor's tick does: the run starts only where the
    executor would start it now, never ahead of older runs or a reservation.

    Raises:
        UserError: it is no longer queued; it must wait for GPUs (it stays queued, with the
            reason, for the executor); or it can never fit here (it is marked failed).
    """
    if run.status != QUEUED:
        raise UserError(f"run {run.id} is {run.status}, not queued: not starting it")
    gpus = gpu_inventory.inventory()
    held = store.held_gpus()
    if not gpus and held and gpu_queue.may_use_gpus(run.config):
        _stay_queued(store, run, gpu_queue.BLIND_REASON)
    if not gpu_queue.gpus_wanted(run.config, bool(gpus)):
        return []
    queue = gpu_queue.as_queued(local_queue(store), True, lambda r: queue_estimate(r.config))
    decided = gpu_queue.plan(
        queue, gpus, held, 0, time.time(), backfill_for=gpu_queue.backfill_seconds()
    )
    if run.id in decided.refused:
        store.mark_failed(run.id, f"not started: {decided.refused[run.id]}")
        raise UserError(f"run {run.id} not started: {decided.refused[run.id]}")
    chosen = dict(decided.starts)
    if run.id not in chosen:
        _stay_queued(store, run, decided.waiting.get(run.id) or "waits behind older runs")
    return chosen[run.id]


def _stay_queued(store: RunStore, run: Run, reason: str) -> None:
    store.set_queue_reason(run.id, reason)
    raise UserError(
        f"run {run.id} stays queued: {reason}; start it in the background when GPUs free "
        "up with `paretolab executor` (or train with --detach)"
    )


def spawn_detached(
    store: RunStore, run_id: int, gpus: list[int] | None = None
) -> subprocess.Popen | None:
    """Claim a queued run (holding ``gpus`` with it, in one transaction, when given) and
    start it in the background, seeing only those GPUs (output to the run folder's
    ``output.log``). Returns None if another launcher claimed the run or a GPU first."""
    claimed = store.claim_with_gpus(run_id, gpus) if gpus else store.claim(run_id)
    if not claimed:
        return None
    run_dir = prepare_run_dir(store.get_run(run_id))
    with open(run_dir / "output.log", "ab") as out:
        return _spawn(store, run_id, stdout=out, gpus=gpus)


def _spawn(
    store: RunStore, run_id: int, stdout: object, gpus: list[int] | None = None
) -> subprocess.Popen:
    """Start the training process of a claimed run and record its pid (failed if it can't
    start); with ``gpus``, it sees only those."""
    redirect = (
        {}
        if stdout is None
        else {"stdout": stdout, "stderr": subprocess.STDOUT, "stdin": subprocess.DEVNULL}
    )
    try:
        env = {**child_env(store), **(gpu_env(gpus) if gpus else {})}
        proc = subprocess.Popen(train_argv(run_id), env=env, start_new_session=True, **redirect)
    except OSError as exc:
        store.mark_failed(run_id, f"could not start the training process: {exc}")
        raise UserError(f"could not start the training process of run {run_id}: {exc}") from exc
    store.set_pid(run_id, proc.pid)
    return proc


def settle_exit(store: RunStore, run_id: int, returncode: int, cancelled: bool = False) -> None:
    """After the process ended: a run it left queued or running is marked cancelled (if a
    cancel was asked for) or failed."""
    run = store.get_run(run_id)
    if run.is_terminal:
        return
    if cancelled or run.cancel_requested_at is not None:
        store.mark_cancelled(run_id)
        return
    how = f"signal {-returncode}" if returncode < 0 else f"exit code {returncode}"
    store.mark_failed(run_id, f"training process ended ({how}) without reporting an outcome")


def requeue_for_resume(store: RunStore, run_id: int) -> Path:
    """Put a cancelled or failed run back in the queue to continue from ``last.ckpt``.

    The training process finds the checkpoint in the run's folder and lets Lightning
    restore global step, optimiser, scheduler and loops from it (and our RNG callback the
    random generators). Returns the checkpoint's path.

    Raises:
        UserError: the run is not cancelled/failed, has no last checkpoint, is a sweep's
            trial (its sweep retries it) or a cross-validation run (train it again).
    """
    run = store.get_run(run_id)
    if run.status not in ("cancelled", "failed"):
        raise UserError(f"run {run_id} is {run.status}; only a cancelled or failed run resumes")
    if run.study is not None:
        raise UserError(
            f"run {run_id} is trial {run.trial_number} of sweep {run.study}; "
            f"resume the sweep instead (`paretolab sweep resume {run.study}`)"
        )
    if (run.config.get("data") or {}).get("cv_folds"):
        raise UserError(
            f"run {run_id} is a cross-validation run; resuming one is not supported, "
            "train its config again"
        )
    ckpt = settings.run_dir(run_id) / "checkpoints" / "last.ckpt"
    if not ckpt.is_file():
        raise UserError(f"run {run_id} has no checkpoint to resume from ({ckpt} is missing)")
    slurm.archive_job(run_id)  # its next start is a new job, where the executor says
    if not store.requeue(run_id):
        raise UserError(f"run {run_id} changed status meanwhile; look at it again")
    return ckpt


def cancel_run(store: RunStore, run_id: int, grace_seconds: float = 25.0) -> str:
    """Cancel a run: a queued one at once; one running here by SIGTERM to its process group
    (it checkpoints and marks itself cancelled), then SIGKILL after ``grace_seconds``; one
    running on another host by a request its host's executor carries out.

    A run submitted to Slurm is cancelled with ``scancel`` (see ``slurm.cancel_run``).

    Returns the run's status afterwards.
    """
    run = store.get_run(run_id)
    if run.is_terminal:
        return run.status
    if slurm.job_of(run_id) is not None:
        return slurm.cancel_run(store, run_id)
    store.request_cancel(run_id)
    if run.status == RUNNING and run.pid and run.host == socket.gethostname():
        signal_group(run.pid, signal.SIGTERM)
        deadline = time.monotonic() + grace_seconds
        while time.monotonic() < deadline and processes.alive(run.pid):
            time.sleep(0.2)
        if processes.alive(run.pid):
            signal_group(run.pid, signal.SIGKILL)
        store.mark_cancelled(run_id)  # no-op if the process already recorded its end
    return store.get_run(run_id).status


def reap_orphans(store: RunStore, stale_after: float = STALE_HEARTBEAT_SECONDS) -> list[int]:
    """Mark running runs whose process is gone as failed (cancelled where a cancel was
    asked for); return their ids.

    On this host the process table decides: a run whose pid no longer exists (or that was
    claimed but never got a process) is failed. A run on another host is failed when its
    heartbeat is older than ``stale_after`` seconds. A live local process is never reaped,
    however late its heartbeat (a laptop asleep, the database briefly down).
    """
    reaped = []
    here, now = socket.gethostname(), time.time()
    for run in store.list_runs([RUNNING]):
        stale = run.heartbeat_at is not None and now - run.heartbeat_at > stale_after
        if run.host == here:
            if run.pid and not processes.alive(run.pid):
                reason = f"training process {run.pid} on {here} died without reporting an outcome"
            elif not run.pid and stale:
                reason = f"run was claimed on {here} but its process never started"
            else:
                continue
        elif stale:
            reason = f"no heartbeat from {run.host}:{run.pid} for {now - run.heartbeat_at:.0f} s"
        else:
            continue
        # Asked to stop and gone (a SIGTERM before the trainer's handler was set, say):
        # cancelled, as asked, not failed.
        ended = (
            store.mark_cancelled(run.id)
            if run.cancel_requested_at is not None
            else store.mark_failed(run.id, reason)
        )
        if ended:
            reaped.append(run.id)
    return reaped


def signal_group(pid: int, sig: int) -> None:
    """Send ``sig`` to the process group led by ``pid`` (the training process and its workers)."""
    try:
        os.killpg(pid, sig)
    except ProcessLookupError:
        pass
    except PermissionError:
        os.kill(pid, sig)
