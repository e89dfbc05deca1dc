"""Each GPU of this host with its holder: what ``paretolab devices`` and the Launch page show.

The inventory (``gpu_inventory``: memory, utilisation) joined with the store's holdings
(which run or sweep worker holds each GPU) and, for a sweep worker, the trial run it trains
now."""

from __future__ import annotations

from dataclasses import dataclass

from paretolab import gpu_inventory, processes
from paretolab.store import RunStore
from paretolab.store.gpu_store import GpuHolding, WorkerTrial
from paretolab.terminal import printable, text_table


@dataclass(frozen=True)
class GpuStatus:
    """One GPU now, and who holds it."""

    index: int
    name: str
    memory_used_gb: float
    memory_total_gb: float
    utilization_pct: float | None
    holder: str | None  # "run 12", "sweep s worker 0 (pid 4242): run 13, trial 2"; None: free
    run_id: int | None  # the run training on it (a worker's current trial), for links
    sweep: str | None = None  # the sweep of that trial


def gpu_statuses(
    store: RunStore, free_stale: bool = True, gpus: list[gpu_inventory.Gpu] | None = None
) -> list[GpuStatus]:
    """This host's GPUs by index with their holders ([] on a host without GPUs).

    Args:
        store: the run store.
        free_stale: first free the GPUs of runs that ended and processes that died, so
            none is shown held by them (False: only read, e.g. a read-only demo).
        gpus: the inventory, when the caller has read it already.
    """
    gpus = gpu_inventory.inventory() if gpus is None else gpus
    if not gpus:
        return []
    if free_stale:
        store.release_ended_holdings(processes.group_alive)
    holdings = {h.gpu_index: h for h in store.gpu_holdings()}
    trials = store.worker_trials() if any(h.pid for h in holdings.values()) else {}
    return [_status(gpu, holdings.get(gpu.index), trials) for gpu in gpus]


def _status(
    gpu: gpu_inventory.Gpu, held: GpuHolding | None, trials: dict[int, WorkerTrial]
) -> GpuStatus:
    """One GPU with its holder: a run, or a sweep worker with the trial it trains now."""
    figures = (gpu.index, gpu.name, gpu.memory_used_gb, gpu.memory_total_gb, gpu.utilization_pct)
    if held is None:
        return GpuStatus(*figures, None, None)
    if held.run_id is not None or held.pid is None:
        return GpuStatus(*figures, held.holder, held.run_id)
    worker = f"{held.holder} (pid {held.pid})"
    trial = trials.get(held.pid)
    if trial is None:
        return GpuStatus(*figures, f"{worker}: between trials", None)
    number = "" if trial.trial_number is None else f", trial {trial.trial_number}"
    return GpuStatus(*figures, f"{worker}: run {trial.run_id}{number}", trial.run_id, trial.study)


def memory_text(gpu: GpuStatus) -> str:
    """``12.3 / 80.0 GB``."""
    return f"{gpu.memory_used_gb:,.1f} / {gpu.memory_total_gb:,.1f} GB"


def utilization_text(gpu: GpuStatus) -> str:
    """``87%``, or ``-`` where the driver does not report it."""
    return "-" if gpu.utilization_pct is None else f"{gpu.utilization_pct:.0f}%"


def gpu_table(gpus: list[GpuStatus]) -> str:
    """The GPU queue's view, one line a GPU (``paretolab devices``)."""
    if not gpus:
        return "GPU queue: no NVIDIA GPU found (NVML); runs are queued without GPU assignment"
    header = ["GPU", "NAME", "MEMORY USED", "UTIL", "HELD BY"]
    rows = [
        [
            str(g.index),
            printable(g.name),
            memory_text(g),
            utilization_text(g),
            printable(g.holder) if g.holder else "free",
        ]
        for g in gpus
    ]
    free = sum(g.holder is None for g in gpus)
    return f"GPU queue: {free} of {len(gpus)} GPU(s) free\n" + text_table(header, rows)
