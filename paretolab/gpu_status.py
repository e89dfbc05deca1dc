"""Each GPU of this host with its holder: what ``paretolab devices`` and the Launch page show.

The inventory (``gpu_inventory``: memory, utilisation) joined with the store's holdings
(which run or sweep worker holds each GPU)."""

from __future__ import annotations

from dataclasses import dataclass

from paretolab import gpu_inventory, processes
from paretolab.store import RunStore
from paretolab.terminal import printable, text_table


@dataclass(frozen=True)
class GpuStatus:
    """One GPU now, and who holds it."""

    index: int
    name: str
    memory_used_gb: float
    memory_total_gb: float
    utilization_pct: float | None
    holder: str | None  # "run 12", "sweep s worker 0"; None: free
    run_id: int | None  # the holding run, for links


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
    out = []
    for gpu in gpus:
        held = holdings.get(gpu.index)
        out.append(
            GpuStatus(
                gpu.index,
                gpu.name,
                gpu.memory_used_gb,
                gpu.memory_total_gb,
                gpu.utilization_pct,
                held.holder if held else None,
                held.run_id if held else None,
            )
        )
    return out


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
