"""Hardware for the views: this machine's devices, what the launch form may offer, and
runs' system metrics as chart panels and summaries (names in ``paretolab.monitoring``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd
import streamlit as st

from dashboard.services.common import store
from dashboard.services.run_detail import metric_series
from paretolab import admission, devices, gpu_status, settings
from paretolab import monitoring as m
from paretolab.config import RunConfig
from paretolab.costing import energy_methods as em


@st.cache_resource(ttl=300)
def machine() -> devices.Machine:
    """This server's devices (the local executor trains here), read every 5 minutes."""
    return devices.detect()


def launch_limits(accelerator: str) -> dict[str, Any]:
    """What the launch form may offer here, by field: the accelerators that exist, the most
    devices and the precisions ``accelerator`` supports. Runs sent to Slurm train on the
    cluster's nodes: only what a job can ask for is offered."""
    if settings.executor() == "slurm":
        return {"hardware.accelerator": ["gpu", "cpu"]}
    here = machine()
    choices = here.accelerator_choices()
    if accelerator not in choices:
        accelerator = "auto"
    return {
        "hardware.accelerator": choices,
        "hardware.devices": here.max_devices(accelerator),
        "trainer.precision": here.precisions(accelerator),
    }


def hardware_problems(config: RunConfig) -> list[str]:
    """Why a config cannot train on this machine (or, sent to Slurm, as a Slurm job), one
    message per field (``paretolab.admission.hardware_problems``)."""
    on_slurm = settings.executor() == "slurm"
    here = None if on_slurm else machine()
    return admission.hardware_problems(config, here, on_slurm, _held_gpus)


def _held_gpus() -> set[int]:
    """The GPUs runs hold here (a read-only demo only reads: the executor frees them)."""
    if settings.demo_mode():
        return {h.gpu_index for h in store().gpu_holdings()}
    return store().held_gpus()


def gpu_queue() -> list[gpu_status.GpuStatus]:
    """This server's GPUs with the run or sweep worker holding each ([] without GPUs);
    read afresh each time (holders change as runs start and end)."""
    # A read-only demo only reads: the executor and the CLI free what has ended.
    return gpu_status.gpu_statuses(store(), free_stale=not settings.demo_mode())


def devices_frame() -> pd.DataFrame:
    """One row per device: the CPU, then each CUDA/MPS device, with its catalog entry."""
    here = machine()
    rows = [
        {
            "device": "cpu",
            "name": here.cpu_name,
            "cores": here.cpu_cores,
            "memory (GB)": here.memory_gb,
            "compute": None,
            "bf16": True,
            "catalog entry": "cpu",
            "peak bf16 FLOP/s": None,
            "peak fp32 FLOP/s": None,
        }
    ]
    for a in here.accelerators:
        rows.append(
            {
                "device": f"{a.kind}:{a.index}",
                "name": a.name,
                "cores": None,
                "memory (GB)": a.memory_gb,
                "compute": a.compute_capability,
                "bf16": a.bf16,
                "catalog entry": a.catalog or "not in the catalog",
                "peak bf16 FLOP/s": a.peak_flops.get("bf16"),
                "peak fp32 FLOP/s": a.peak_flops.get("fp32"),
            }
        )
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class Panel:
    """One system chart: its title and series (columns run, x, value, line)."""

    title: str
    series: pd.DataFrame


# Measured energy by part and method: a line each beside the total.
_ENERGY_NAMES = {
    em.part_key(part, method): f"{em.PART_NAMES[part]} ({em.METHOD_NAMES[method]})"
    for part in em.PARTS
    for method in em.MEASURED_METHODS
}
ENERGY_PARTS = tuple(_ENERGY_NAMES)
# Chart panels in reading order: title, the measures drawn in it (machine-wide names, or
# per-GPU names drawn once per GPU).
PANELS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("GPU utilisation (%)", (m.GPU_UTIL,)),
    ("GPU memory (MB)", (m.GPU_MEMORY_USED, m.GPU_MEMORY_TOTAL)),
    ("GPU power (W)", (m.GPU_POWER,)),
    ("GPU temperature (°C)", (m.GPU_TEMPERATURE,)),
    ("GPU clocks (MHz)", (m.GPU_SM_CLOCK, m.GPU_MEMORY_CLOCK)),
    ("CPU (%)", (m.CPU_PERCENT, m.SYS_CPU_PERCENT)),
    ("Process memory, RSS (MB)", (m.RSS_MB,)),
    ("System memory (%)", (m.MEMORY_PERCENT,)),
    ("Disk I/O (MB/s)", (m.DISK_READ, m.DISK_WRITE)),
    ("Network (MB/s)", (m.NET_SENT, m.NET_RECV)),
    ("Measured energy at the device (kWh)", (m.ENERGY_KWH, *ENERGY_PARTS)),
)
_SHORT = {
    m.CPU_PERCENT: "process",
    m.SYS_CPU_PERCENT: "machine",
    m.DISK_READ: "read",
    m.DISK_WRITE: "write",
    m.NET_SENT: "sent",
    m.NET_RECV: "received",
    m.GPU_MEMORY_USED: "used",
    m.GPU_MEMORY_TOTAL: "total",
    m.GPU_SM_CLOCK: "SM",
    m.GPU_MEMORY_CLOCK: "memory",
    m.ENERGY_KWH: "all measured parts",
    **_ENERGY_NAMES,
}


_SUMMARY_NAMES = {key.removeprefix(m.PREFIX) for key in m.SUMMARY_KEYS}


def system_keys(run_id: int) -> list[str]:
    """The run's sampled system metrics (not its end-of-run figures)."""
    return [
        k
        for k in store().metric_keys(run_id)
        if m.is_system_key(k) and m.parse_key(k)[2] not in _SUMMARY_NAMES
    ]


def system_panels(run_ids: list[int], labels: dict[int, str], x_axis: str) -> list[Panel]:
    """The runs' system charts, on the same x-axis as their training curves.

    Each line is one run's measure (one per GPU, per fold where there are several); its
    label is in the ``line`` column.
    """
    keys = {run_id: system_keys(run_id) for run_id in run_ids}
    panels = []
    for title, names in PANELS:
        parts = []
        for run_id in run_ids:
            for key in keys[run_id]:
                fold, gpu, name = m.parse_key(key)
                wanted = name if gpu is not None else m.PREFIX + name
                if wanted not in names:
                    continue
                series = metric_series([run_id], key, x_axis)
                line = _line_label(labels.get(run_id, str(run_id)), len(run_ids), fold, gpu)
                if len(names) > 1:
                    line = f"{line} {_SHORT.get(wanted, wanted)}".strip()
                parts.append(series.assign(line=line))
        if parts:
            panels.append(Panel(title, pd.concat(parts, ignore_index=True)))
    return panels


def _line_label(run: str, n_runs: int, fold: str | None, gpu: int | None) -> str:
    bits = [run] if n_runs > 1 else []
    if fold:
        bits.append(fold)
    if gpu is not None:
        bits.append(f"GPU {gpu}")
    return " · ".join(bits)


def system_summary(run_id: int) -> dict[str, Any]:
    """The run's peaks, means, measured energy and low-utilisation flag (see
    ``paretolab.monitoring.system_summary``)."""
    return m.system_summary(store().latest_metrics(run_id))


def describe_system(summary: dict[str, Any]) -> str:
    """The run's system figures in one line, for a caption."""
    return m.describe_summary(summary) or (
        "The run's peaks and means are stored when its training ends."
    )
