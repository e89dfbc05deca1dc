"""What every training process is given, wherever it runs: its own folder and the
environment that points it at our store and home.

Below ``launcher`` (processes on this host) and ``slurm`` (sbatch jobs), which both use it."""

from __future__ import annotations

import os
import time
from pathlib import Path

from paretolab import settings
from paretolab.gpu_inventory import FAKE_GPUS_ENV
from paretolab.store import Run, RunStore


def child_env(store: RunStore) -> dict[str, str]:
    """The environment for a training process: the same store and home as ours.

    Without ``PARETOLAB_FAKE_GPUS``: the fake inventory is for the queue (which GPUs a run
    is given), while a training process must see the devices that are really there, so
    that ``accelerator: auto`` still trains on the CPU of a machine without CUDA.
    """
    env = executor_env(store)
    env.pop(FAKE_GPUS_ENV, None)
    return env


def executor_env(store: RunStore) -> dict[str, str]:
    """The environment for the executor daemon: ours (fake inventory included), pointed at
    the same store and home."""
    env = dict(os.environ)
    env[settings.HOME_ENV] = str(settings.home_dir())
    env[settings.DB_URL_ENV] = store.url
    # Idle OpenMP threads sleep instead of spinning: on a busy small machine spinning
    # threads made torch steps ~3x slower (see REFERENCES.md §8).
    env.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    return env


RUN_MARKER = ".paretolab-run"


def prepare_run_dir(run: Run) -> Path:
    """The run's folder, made sure to belong to this run.

    A folder left by an earlier run with the same id (a database can be reset while
    ``runs/`` stays; before schema 0008 SQLite reused the id of a deleted newest run) is
    moved aside, so its
    tokenizer, checkpoints and logs never pass for this run's.
    """
    folder = settings.run_dir(run.id)
    marker = folder / RUN_MARKER
    stamp = f"{run.created_at:.6f}"
    if folder.exists() and (not marker.exists() or marker.read_text().strip() != stamp):
        folder.rename(folder.with_name(f"{run.id}.orphaned-{int(time.time())}"))
    folder.mkdir(parents=True, exist_ok=True)
    if not marker.exists():
        marker.write_text(stamp)
    return folder
