"""Start, cancel and watch training processes.

Every run trains in its own OS process (``python -m lightning_modules.train --run-id ID``),
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

from paretolab import settings
from paretolab.store import QUEUED, RUNNING, RunStore

STALE_HEARTBEAT_SECONDS = 120.0


def train_argv(run_id: int) -> list[str]:
    """The command line that trains one run."""
    return [sys.executable, "-m", "lightning_modules.train", "--run-id", str(run_id)]


def child_env(store: RunStore) -> dict[str, str]:
    """The environment for a training process: the same store and home as ours."""
    env = dict(os.environ)
    env[settings.HOME_ENV] = str(settings.home_dir())
    env[settings.DB_URL_ENV] = store.url
    # Idle OpenMP threads sleep instead of spinning: on a busy small machine spinning
    # threads made torch steps ~3x slower (see REFERENCES.md §8).
    env.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    return env


def run_in_foreground(store: RunStore, run_id: int) -> int:
    """Train in a child process whose output goes to this terminal; return its exit code.

    Ctrl-C or SIGTERM here becomes SIGTERM to the child (checkpoint, then cancelled);
    a second one kills it.
    """
    proc = subprocess.Popen(train_argv(run_id), env=child_env(store), start_new_session=True)
    interrupts = 0

    def forward(signum: int, frame: object) -> None:
        nonlocal interrupts
        interrupts += 1
        signal_group(proc.pid, signal.SIGTERM if interrupts == 1 else signal.SIGKILL)

    old = {s: signal.signal(s, forward) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        code = proc.wait()
    finally:
        for s, handler in old.items():
            signal.signal(s, handler)
    settle_exit(store, run_id, code)
    return code


def spawn_detached(store: RunStore, run_id: int) -> subprocess.Popen:
    """Start training in the background, output to ``output.log`` in the run folder.

    The run is marked running with the child's pid at once, so a second executor tick
    never starts it twice.
    """
    run_dir = settings.run_dir(run_id)
    run_dir.mkdir(parents=True, exist_ok=True)
    with open(run_dir / "output.log", "ab") as out:
        proc = subprocess.Popen(
            train_argv(run_id),
            env=child_env(store),
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    store.mark_running(run_id, proc.pid)
    return proc


def settle_exit(store: RunStore, run_id: int, returncode: int) -> None:
    """After the process ended: a run it left queued or running is marked failed."""
    run = store.get_run(run_id)
    if not run.is_terminal:
        how = f"signal {-returncode}" if returncode < 0 else f"exit code {returncode}"
        store.mark_failed(run_id, f"training process ended ({how}) without reporting an outcome")


def cancel_run(store: RunStore, run_id: int, grace_seconds: float = 25.0) -> str:
    """Cancel a run: a queued one at once; a running one by SIGTERM to its process group
    (it checkpoints and marks itself cancelled), then SIGKILL after ``grace_seconds``.

    Returns the run's status afterwards.
    """
    run = store.get_run(run_id)
    if run.status == QUEUED:
        store.mark_cancelled(run_id)
    elif run.status == RUNNING and run.pid and run.host == socket.gethostname():
        signal_group(run.pid, signal.SIGTERM)
        deadline = time.monotonic() + grace_seconds
        while time.monotonic() < deadline and _alive(run.pid):
            time.sleep(0.2)
        if _alive(run.pid):
            signal_group(run.pid, signal.SIGKILL)
        store.mark_cancelled(run_id)  # no-op if the process already recorded its end
    return store.get_run(run_id).status


def reap_orphans(store: RunStore, stale_after: float = STALE_HEARTBEAT_SECONDS) -> list[int]:
    """Mark running runs whose process is gone as failed; return their ids.

    A run on this host whose pid no longer exists, or any run whose heartbeat is older
    than ``stale_after`` seconds, is failed with a message saying so.
    """
    reaped = []
    here, now = socket.gethostname(), time.time()
    for run in store.list_runs([RUNNING]):
        if run.host == here and run.pid and not _alive(run.pid):
            reason = f"training process {run.pid} on {here} died without reporting an outcome"
        elif run.heartbeat_at is not None and now - run.heartbeat_at > stale_after:
            reason = f"no heartbeat from {run.host}:{run.pid} for {now - run.heartbeat_at:.0f} s"
        else:
            continue
        if store.mark_failed(run.id, reason):
            reaped.append(run.id)
    return reaped


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return not _is_zombie(pid)


def _is_zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return False


def signal_group(pid: int, sig: int) -> None:
    """Send ``sig`` to the process group led by ``pid`` (the training process and its workers)."""
    try:
        os.killpg(pid, sig)
    except ProcessLookupError:
        pass
    except PermissionError:
        os.kill(pid, sig)
