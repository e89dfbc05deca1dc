"""System metrics: their names, and what a run's amount to.

The training process samples them on a background thread
(``lightning_modules.callbacks.system_metrics``) and stores them like any metric, at the training
step current when sampled; at the end of fit it adds a few per-run figures (peaks, means).
Views read them from the store through the names and the summary here. Imports no torch.

A cross-validated run stores them per fold (``fold0/system/…``); a summary combines the
folds: peaks by their maximum, means by their mean, energy by its sum.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from paretolab.costing import energy_methods
from paretolab.store import LatestMetric, MetricColumn

PREFIX = "system/"

# Sampled every ``monitoring.interval_s`` seconds.
CPU_PERCENT = "system/cpu_percent"  # the training process, % of all cores
SYS_CPU_PERCENT = "system/sys_cpu_percent"  # the whole machine
RSS_MB = "system/rss_mb"  # the training process's resident memory
MEMORY_PERCENT = "system/memory_percent"  # the machine's memory in use
MEMORY_USED_GB = "system/memory_used_gb"
DISK_READ = "system/disk_read_mb_s"
DISK_WRITE = "system/disk_write_mb_s"
NET_SENT = "system/net_sent_mb_s"
NET_RECV = "system/net_recv_mb_s"
# Measured energy at the device since fit started: every measured part (GPUs, CPU package,
# DRAM), each also logged by part and method (paretolab.costing.energy_methods).
ENERGY_KWH = "system/energy_kwh"
# Per GPU: ``system/gpu{N}/{name}``, N the CUDA device index the run sees.
GPU_UTIL = "util_percent"
GPU_MEMORY_UTIL = "memory_util_percent"  # time the memory controller was busy
GPU_MEMORY_USED = "memory_used_mb"
GPU_MEMORY_TOTAL = "memory_total_mb"
GPU_POWER = "power_w"
GPU_TEMPERATURE = "temperature_c"
GPU_SM_CLOCK = "sm_clock_mhz"
GPU_MEMORY_CLOCK = "memory_clock_mhz"

# Stored once, when fit ends (also when it fails or is cancelled).
PEAK_RSS_MB = "system/peak_rss_mb"
PEAK_GPU_MEMORY_MB = "system/peak_gpu_memory_mb"  # the fullest GPU's peak
MEAN_GPU_UTIL = "system/mean_gpu_util"  # over samples and GPUs, in %
MEAN_CPU_PERCENT = "system/mean_cpu_percent"
SUMMARY_KEYS = (PEAK_RSS_MB, PEAK_GPU_MEMORY_MB, MEAN_GPU_UTIL, MEAN_CPU_PERCENT)
# The runs table's system columns, figured in SQL the way ``system_summary`` combines folds.
SYSTEM_TABLE_COLUMNS = (
    MetricColumn("peak_rss_mb", PEAK_RSS_MB, how="max", folds=True),
    MetricColumn("peak_gpu_mem_mb", PEAK_GPU_MEMORY_MB, how="max", folds=True),
    MetricColumn("mean_gpu_util", MEAN_GPU_UTIL, how="avg", folds=True),
)

LOW_UTIL_PERCENT = 50.0
LOW_UTIL_NOTE = "input-bound or too small a batch?"

_KEY = re.compile(r"^(?:(?P<fold>fold\d+)/)?system/(?:gpu(?P<gpu>\d+)/)?(?P<name>[^/]+)$")


def gpu_key(index: int, name: str) -> str:
    """The key of one GPU's measure, e.g. ``system/gpu0/util_percent``."""
    return f"{PREFIX}gpu{index}/{name}"


def parse_key(key: str) -> tuple[str | None, int | None, str] | None:
    """``(fold, gpu, name)`` of a system metric key (fold and gpu may be None); None for
    any other key. ``fold1/system/gpu0/power_w`` → ``("fold1", 0, "power_w")``."""
    match = _KEY.match(key)
    if match is None:
        return None
    gpu = match.group("gpu")
    return match.group("fold"), int(gpu) if gpu is not None else None, match.group("name")


def is_system_key(key: str) -> bool:
    """True for a ``system/…`` metric, a fold's included."""
    return parse_key(key) is not None


def system_summary(latest: Mapping[str, LatestMetric]) -> dict[str, Any]:
    """A run's system figures from its latest metrics, folds combined.

    Returns ``peak_rss_mb``, ``peak_gpu_memory_mb``, ``mean_gpu_util``, ``mean_cpu_percent``
    and ``energy_kwh`` (None where the run has none), ``energy_source`` (how it was measured),
    and ``low_util``: the low-utilisation
    note when the GPUs averaged under ``LOW_UTIL_PERCENT``, else None.
    """
    values: dict[str, list[float]] = {}
    for key, metric in latest.items():
        parsed = parse_key(key)
        if parsed is not None and parsed[1] is None:
            values.setdefault(PREFIX + parsed[2], []).append(metric.value)

    def combine(key: str, how: Any) -> float | None:
        items = values.get(key)
        return float(how(items)) if items else None

    mean_util = combine(MEAN_GPU_UTIL, lambda v: sum(v) / len(v))
    return {
        "peak_rss_mb": combine(PEAK_RSS_MB, max),
        "peak_gpu_memory_mb": combine(PEAK_GPU_MEMORY_MB, max),
        "mean_gpu_util": mean_util,
        "mean_cpu_percent": combine(MEAN_CPU_PERCENT, lambda v: sum(v) / len(v)),
        "energy_kwh": combine(ENERGY_KWH, sum),
        "energy_source": energy_methods.describe_parts(
            energy_methods.measured_parts(latest), energy_methods.other_processes(latest)
        )
        if ENERGY_KWH in values
        else None,
        "low_util": low_util_note(mean_util),
    }


def low_util_note(mean_gpu_util: float | None) -> str | None:
    """The flag of a run whose accelerators averaged under ``LOW_UTIL_PERCENT``."""
    if mean_gpu_util is None or mean_gpu_util >= LOW_UTIL_PERCENT:
        return None
    return f"GPU utilisation averaged {mean_gpu_util:.0f}%: {LOW_UTIL_NOTE}"


def describe_summary(summary: Mapping[str, Any]) -> str:
    """A ``system_summary`` in one line ("" when it holds nothing): peaks, means, energy."""
    parts = [
        (summary["peak_rss_mb"], "peak process memory {:,.0f} MB"),
        (summary["peak_gpu_memory_mb"], "peak GPU memory {:,.0f} MB"),
        (summary["mean_gpu_util"], "mean GPU utilisation {:.0f}%"),
        (summary["mean_cpu_percent"], "mean process CPU {:.0f}% of the cores"),
        (summary["energy_kwh"], "energy at the device {:.3g} kWh"),
    ]
    text = " · ".join(text.format(value) for value, text in parts if value is not None)
    if summary.get("energy_source"):
        text += f" ({summary['energy_source']})"
    return text
