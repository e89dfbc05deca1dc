"""How many sweep workers start here, and which GPUs each one gets.

On a host with GPUs (``paretolab.gpu_inventory``) and a sweep whose trials train on them,
each worker is pinned to its own free GPUs (``hardware.devices`` of them, one for most
sweeps) through ``CUDA_VISIBLE_DEVICES``, and the store records them as held by the
worker's process (held before the worker starts, then handed to its pid): the executor
starts no run on them, another sweep takes others, and they are freed when the worker exits
(or, if it dies, by the next executor tick or ``paretolab devices``). ``--workers auto`` starts one worker per free GPU (per
``hardware.devices`` free GPUs). Asking for more workers than the free GPUs allow is refused
with the figures, before the sweep is created: the workers would only fight over the GPUs.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from paretolab import gpu_inventory
from paretolab.errors import UserError
from paretolab.executors import gpu_queue
from paretolab.store import RunStore
from sweeps.budget_check import trial_config
from sweeps.spec import SweepSpec

AUTO = "auto"


@dataclass(frozen=True)
class WorkerPlacement:
    """The workers to start and the GPUs of each ([] each: no GPU assignment)."""

    count: int
    gpus: list[list[int]] = field(default_factory=list)
    note: str | None = None  # said to the user before the workers start


def place_workers(requested: int | str, spec: SweepSpec, store: RunStore) -> WorkerPlacement:
    """The workers ``requested`` (a count or ``auto``) for ``spec`` on this host.

    Raises:
        UserError: more workers than the free GPUs allow, or ``auto`` with none free.
    """
    gpus = gpu_inventory.inventory()
    per_worker = gpu_queue.gpus_wanted(trial_config(spec).model_dump(mode="json"), bool(gpus))
    if not per_worker:
        if requested == AUTO:
            why = "no GPU here" if not gpus else "the trials train without a GPU"
            return WorkerPlacement(1, note=f"--workers auto: {why}, so 1 worker")
        return WorkerPlacement(int(requested))
    held = store.held_gpus()
    free = [g.index for g in gpus if g.index not in held]
    most = len(free) // per_worker
    need = f"each worker needs {per_worker} GPU(s) (hardware.devices)"
    where = f"{len(free)} of {len(gpus)} GPU(s) are free" + (
        f" ({', '.join(map(str, free))})" if free else ""
    )
    if requested == AUTO:
        if not most:
            raise UserError(
                f"--workers auto: {need} and {where}; wait for runs to end (see "
                "`paretolab devices`)"
            )
        requested = most
    elif requested > most:
        raise UserError(
            f"--workers={requested}: {need} and {where}; ask for at most {most}, or "
            "--workers auto (see `paretolab devices` for who holds the others)"
        )
    chunks = [free[k * per_worker : (k + 1) * per_worker] for k in range(requested)]
    return WorkerPlacement(requested, chunks, f"workers pinned to GPUs {_listed(chunks)}")


def claim_worker_gpus(store: RunStore, name: str, gpus: list[list[int]]) -> None:
    """Hold each worker's GPUs for this (the launching) process, before any worker starts:
    the executor cannot take one between a worker's start and its holding. ``spawn_workers``
    hands each to its worker's pid once started (``hand_gpus_to_process``).

    Raises:
        UserError: another launcher took one of them since they were chosen (none is held
            and no worker started; start again).
    """
    me = os.getpid()
    for index, chosen in enumerate(gpus):
        if not store.claim_gpus_for_process(chosen, me, f"sweep {name} worker {index}"):
            for earlier in gpus[:index]:
                store.release_gpus(pid=me, gpus=earlier)
            raise UserError(
                f"GPU(s) {', '.join(map(str, chosen))} were taken since they were chosen; no "
                f"worker was started: `paretolab sweep resume {name}` starts them again"
            )


def _listed(chunks: list[list[int]]) -> str:
    return ", ".join("+".join(map(str, c)) for c in chunks)
