"""Is a process alive, and is it the one that trains a given run?

The store asks before deleting a run (a run whose process is still exiting may still write
to it); the launcher and reaper ask before failing one. A pid is only a number: once its
process is gone the system hands it to another, so "is the training process of run N
alive" reads the process's command line where the system shows it (``/proc``).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

_PROC = Path("/proc")


def alive(pid: int) -> bool:
    """True while process ``pid`` exists and is not a zombie (exited, not yet waited for)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return not _is_zombie(pid)


def group_alive(pgid: int) -> bool:
    """True while process ``pgid`` or any other process of its group lives (not a zombie).

    A training process leads its own group (``start_new_session``): its DDP ranks and
    DataLoader workers are members, and may outlive rank 0's final status by seconds.
    """
    if alive(pgid):
        return True
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    if not _PROC.is_dir():
        return True  # no process table to look at: assume the worst
    return any(_runs_in_group(entry, pgid) for entry in _PROC.iterdir() if entry.name.isdigit())


def _runs_in_group(entry: Path, pgid: int) -> bool:
    try:
        state, _ppid, group = (entry / "stat").read_text("ascii").rsplit(")", 1)[1].split()[:3]
    except (OSError, ValueError):
        return False
    return state != "Z" and int(group) == pgid


def _is_zombie(pid: int) -> bool:
    try:
        with open(_PROC / str(pid) / "stat", encoding="ascii") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return False


def trains_run(pid: int, run_id: int) -> bool:
    """True if process ``pid`` is alive and is the training process of run ``run_id``.

    Where the system shows no command lines (no ``/proc``), any live process counts: a
    pid reused by another program then only delays what waits for it.
    """
    if not alive(pid):
        return False
    try:
        argv = (_PROC / str(pid) / "cmdline").read_bytes().split(b"\0")
    except FileNotFoundError:
        return not _PROC.is_dir()  # gone meanwhile, or no /proc at all
    except OSError:
        return True  # not ours to read: assume the worst
    # `python -m lightning_modules.run.train --run-id ID` (launcher.train_argv); a sweep trial
    # trains inside its worker, whose command line names no run: it outlives its trials.
    return any(
        arg == b"--run-id" and nxt == str(run_id).encode()
        for arg, nxt in zip(argv, argv[1:], strict=False)
    )


def wait_for_exit(pid: int, run_id: int, timeout: float) -> bool:
    """Wait up to ``timeout`` s for run ``run_id``'s training process ``pid`` to exit.

    Returns True once it has exited (or ``pid`` is not that process), False if it lives on.
    """
    deadline = time.monotonic() + timeout
    while trains_run(pid, run_id):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.1)
    return True
