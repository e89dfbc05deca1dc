"""Which queued runs start now, on which GPUs, and why the others wait (the GPU queue).

A pure plan over plain data, so that the policy is read and tested here; the local executor
gathers the data (queue, inventory, holdings) and carries the plan out.

Policy — backfill with a reservation:
- Runs are taken oldest first. A run asking for N GPUs starts when N GPUs are unheld and
  each has room for the cost model's memory estimate; it gets exactly those.
- A run at the head that cannot start yet does not hold back smaller runs behind it
  (backfill): no GPU sits idle while a run that fits waits. Backfill alone could starve a
  big run forever (small runs keep taking the GPUs it waits for), so once the oldest blocked
  run has waited ``backfill_seconds``, later GPU runs stop starting and the GPUs drain to it.
  Runs without GPUs are never held back by it: they use none.
- Runs without GPUs keep the old limit: at most ``cpu_slots`` at once.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field

from paretolab import gpu_inventory
from paretolab.errors import UserError
from paretolab.gpu_inventory import Gpu
from paretolab.store import Run

BACKFILL_ENV = "PARETOLAB_GPU_BACKFILL_SECONDS"
DEFAULT_BACKFILL_SECONDS = 1800.0


def backfill_seconds() -> float:
    """How long the oldest blocked GPU run lets later ones pass it, in seconds
    (``PARETOLAB_GPU_BACKFILL_SECONDS``)."""
    text = os.environ.get(BACKFILL_ENV, "").strip()
    if not text:
        return DEFAULT_BACKFILL_SECONDS
    try:
        seconds = float(text)
    except ValueError:
        seconds = -1.0
    if not seconds >= 0:  # also NaN
        raise UserError(f"{BACKFILL_ENV}={text!r}: give a number of seconds, 0 or more")
    return seconds


@dataclass(frozen=True)
class QueuedRun:
    """What the plan needs of a queued run."""

    id: int
    created_at: float
    gpus: int  # GPUs it asks for (0: it trains without one)
    need_gb: float | None = None  # the memory estimate per GPU (None: unknown, not checked)
    fix: str = "lower data.batch_size"  # what would make it fit (``memory_fixes``)


@dataclass
class Plan:
    """What to do this round."""

    starts: list[tuple[int, list[int]]] = field(default_factory=list)  # run id, GPU indices
    waiting: dict[int, str | None] = field(default_factory=dict)  # run id → why it waits
    refused: dict[int, str] = field(default_factory=dict)  # run id → why it can never start


def plan(
    queued: list[QueuedRun],
    gpus: list[Gpu],
    held: set[int],
    cpu_slots: int,
    now: float,
    backfill_for: float,
) -> Plan:
    """Decide which of ``queued`` start now and on which of the unheld ``gpus``."""
    out = Plan()
    free = [g for g in gpus if g.index not in held]
    reserved_for: QueuedRun | None = None  # the blocked head the GPUs drain to
    for run in sorted(queued, key=lambda r: r.id):
        if run.gpus == 0:
            if cpu_slots > 0:
                out.starts.append((run.id, []))
                cpu_slots -= 1
            else:
                out.waiting[run.id] = None  # waits for a slot, as before the GPU queue
            continue
        if refusal := _never_fits(run, gpus):
            out.refused[run.id] = refusal
            continue
        if reserved_for is not None:
            out.waiting[run.id] = (
                f"behind run {reserved_for.id}, which has waited over {backfill_for / 60:.0f} "
                f"min for {reserved_for.gpus} GPU(s): no run passes it until it starts"
            )
            continue
        usable = _usable(run, free)
        fit = [g for g in usable if run.need_gb is None or g.memory_free_gb >= run.need_gb]
        if len(fit) >= run.gpus:
            chosen = fit[: run.gpus]
            out.starts.append((run.id, [g.index for g in chosen]))
            free = [g for g in free if g not in chosen]
            continue
        out.waiting[run.id] = _wait_reason(run, _usable(run, gpus), usable, fit)
        if now - run.created_at > backfill_for:
            reserved_for = run
    return out


def _usable(run: QueuedRun, gpus: list[Gpu]) -> list[Gpu]:
    """The GPUs a run may get: a run of several devices no MIG instance (CUDA shows a
    process only one of them)."""
    return gpus if run.gpus == 1 else [g for g in gpus if not g.is_mig]


def _never_fits(run: QueuedRun, gpus: list[Gpu]) -> str | None:
    """Why the run cannot start on this host however long it waits (None if it can)."""
    whole = _usable(run, gpus)
    if run.gpus > len(whole) and len(whole) < len(gpus):
        return (
            f"hardware.devices={run.gpus}: this host has {len(whole)} GPU(s) outside MIG and "
            f"a process sees only one MIG instance; ask for 1, or train it where there are "
            "more GPUs (Slurm)"
        )
    if run.gpus > len(gpus):
        return (
            f"hardware.devices={run.gpus}: this host has {len(gpus)} GPU(s); ask for at most "
            f"{len(gpus)}, or train it where there are more (Slurm)"
        )
    largest = max(g.memory_total_gb for g in gpus)
    if run.need_gb is not None and run.need_gb > largest:
        return (
            f"training needs about {run.need_gb:,.1f} GB per GPU, more than the "
            f"{largest:,.1f} GB of the largest GPU here; {run.fix}"
        )
    return None


def _wait_reason(run: QueuedRun, gpus: list[Gpu], free: list[Gpu], fit: list[Gpu]) -> str:
    want = f"needs {run.gpus} GPU(s)"
    if len(free) > len(fit):  # some are unheld but full (another user's processes)
        most = max((g.memory_free_gb for g in free), default=0.0)
        return (
            f"{want} with {run.need_gb:,.1f} GB free each; {len(fit)} of {len(gpus)} have "
            f"room (the emptiest unheld one has {most:,.1f} GB free)"
        )
    return f"{want}; {len(free)} of {len(gpus)} free"


def as_queued(
    runs: list[Run], have_gpus: bool, estimate: Callable[[Run], tuple[float | None, str]]
) -> list[QueuedRun]:
    """What the plan needs of queued ``runs``; ``estimate`` gives a GPU run's memory per GPU
    and what would make it fit (``memory_fit.queue_estimate``, which the executor caches)."""
    out = []
    for run in runs:
        wanted = gpus_wanted(run.config, have_gpus)
        if not wanted:
            out.append(QueuedRun(run.id, run.created_at, 0))
            continue
        need_gb, fix = estimate(run)
        out.append(QueuedRun(run.id, run.created_at, wanted, need_gb, fix))
    return out


def gpus_wanted(config: dict, have_gpus: bool) -> int:
    """GPUs a stored config asks for here: ``hardware.devices`` when it trains on GPUs
    (``accelerator: gpu``, or ``auto`` on a host with GPUs), else 0."""
    if not have_gpus:  # no inventory: schedule as before GPUs were counted
        return 0
    hardware = config.get("hardware") or {}
    accelerator = hardware.get("accelerator", "auto")
    if accelerator == "gpu" or (accelerator == "auto" and have_gpus):
        return int(hardware.get("devices", 1))
    return 0


def may_use_gpus(config: dict) -> bool:
    """Whether a stored config trains on GPUs where there are some (``accelerator`` gpu or
    auto): such a run must not start while the inventory cannot be read."""
    return (config.get("hardware") or {}).get("accelerator", "auto") in ("gpu", "auto")


BLIND_REASON = "waits while the GPU inventory cannot be read (NVML failed) and runs hold GPUs here"


def gpu_env(gpus: list[int], known: list[Gpu] | None = None) -> dict[str, str]:
    """The environment that shows a process exactly ``gpus`` (NVML's numbering).

    One the inventory (``known``; read now when not given) lists with a UUID, a MIG
    instance, is named by its UUID. Merged over ``training_process.child_env``, which
    already leaves out a fake inventory (``PARETOLAB_FAKE_GPUS``): the pinned process sees
    the machine as it is.
    """
    known = gpu_inventory.inventory() if known is None else known
    names = {g.index: g.visible_as for g in known}
    visible = ",".join(names.get(i, str(i)) for i in gpus)
    return {"CUDA_DEVICE_ORDER": "PCI_BUS_ID", "CUDA_VISIBLE_DEVICES": visible}
