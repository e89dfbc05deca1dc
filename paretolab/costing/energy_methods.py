"""How each energy figure was obtained: the methods, their labels, and a run's measured parts.

The training process measures what it can (``lightning_modules.callbacks.energy_meters``)
and logs each part's energy under a key that names its method, cumulative since fit
started, in kWh at the device (before PUE)::

    system/energy_{part}_{method}_kwh     part: gpu | cpu | dram
                                          method: nvml_energy | nvml_power | rapl

plus ``system/energy_kwh``, the sum of the measured parts. A run with no measured part is
costed by the ``tdp_estimate``. Runs recorded before the parts existed logged only
``system/energy_kwh``, from NVML power samples: they read as ``nvml_power``.

GPUs no meter covers keep their share of the estimate beside measured parts
(``system/energy_gpu_unmeasured_share``). A GPU's counter covers the whole device: when other processes used the run's GPUs, the
sampler logs how many (``system/gpu_other_processes``) and the label says the figure is
the whole device's, shared. Imports no torch.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

NVML_ENERGY, NVML_POWER, RAPL, TDP_ESTIMATE = "nvml_energy", "nvml_power", "rapl", "tdp_estimate"
METHODS = (NVML_ENERGY, NVML_POWER, RAPL, TDP_ESTIMATE)
MEASURED_METHODS = (NVML_ENERGY, NVML_POWER, RAPL)
PARTS = ("gpu", "cpu", "dram")
PART_NAMES = {"gpu": "GPU", "cpu": "CPU package", "dram": "DRAM"}
METHOD_NAMES = {
    NVML_ENERGY: "NVML energy counter",
    NVML_POWER: "NVML power samples",
    # RAPL counts the whole package and DRAM: every process of the machine, every run at once.
    RAPL: "RAPL, whole machine",
    TDP_ESTIMATE: "TDP × PUE",
}
ESTIMATE_LABEL = "estimate: TDP × PUE"
TOTAL_KEY = "system/energy_kwh"  # also paretolab.monitoring.ENERGY_KWH
SHARED_KEY = "system/gpu_other_processes"
# SHARED_KEY's value when NVML lists processes on the run's GPUs but none of the run's own
# (a container's PID namespace): whether others share the GPUs cannot be told.
SHARING_UNKNOWN = -1
# The share of the run's GPUs that no meter covered (NVML absent, or neither counter nor
# power): logged only when some other part was measured; the estimate keeps that share.
UNMEASURED_GPU_KEY = "system/energy_gpu_unmeasured_share"
_PART_KEY = re.compile(
    r"^(?:(?P<fold>fold\d+)/)?system/energy_(?P<part>gpu|cpu|dram)_"
    r"(?P<method>nvml_energy|nvml_power|rapl)_kwh$"
)
_FOLD = re.compile(r"^fold\d+/")


def part_key(part: str, method: str) -> str:
    """The metric key of one part's measured energy, e.g. ``system/energy_cpu_rapl_kwh``."""
    return f"system/energy_{part}_{method}_kwh"


def parse_part_key(key: str) -> tuple[str, str] | None:
    """``(part, method)`` of a part's energy key (a fold's too); None for any other key."""
    match = _PART_KEY.match(key)
    return (match.group("part"), match.group("method")) if match else None


def run_level_values(latest: Mapping[str, Any]) -> dict[str, list[float]]:
    """A run's latest metric values by key without its fold prefix (``fold0/cost/usd`` →
    ``cost/usd``), each fold's in a list; a run-level key wins over its folds'."""
    values: dict[str, list[float]] = {}
    for key, metric in latest.items():
        name = _FOLD.sub("", key)
        if name != key and name in latest:
            continue
        values.setdefault(name, []).append(float(metric.value))
    return values


def measured_parts(latest: Mapping[str, Any]) -> dict[tuple[str, str], float]:
    """A run's measured device energy in kWh by ``(part, method)``, folds summed, from its
    latest metrics (``LatestMetric`` by key); {} when nothing was measured."""
    values = run_level_values(latest)
    parts = {
        parsed: sum(items)
        for name, items in values.items()
        if (parsed := parse_part_key(name)) is not None
    }
    if not parts and TOTAL_KEY in values:  # recorded before the parts: NVML power samples
        parts[("gpu", NVML_POWER)] = sum(values[TOTAL_KEY])
    return parts


def other_processes(latest: Mapping[str, Any]) -> int:
    """The most other processes seen on the run's GPUs while it ran (0 when none;
    ``SHARING_UNKNOWN`` when the run's own processes were not visible to NVML)."""
    values = run_level_values(latest).get(SHARED_KEY, [])
    return int(max(values)) if values else 0


def unmeasured_gpu_share(latest: Mapping[str, Any]) -> float:
    """The share of the run's GPUs no meter covered (0 when all were, or it had none)."""
    values = run_level_values(latest).get(UNMEASURED_GPU_KEY, [])
    return max(values) if values else 0.0


def method_code(methods: Iterable[str]) -> str:
    """The methods of a figure as one stored code, e.g. ``nvml_energy+rapl``;
    ``tdp_estimate`` when none was measured."""
    found = set(methods)
    return "+".join(m for m in METHODS if m in found) or TDP_ESTIMATE


def describe_parts(parts: Iterable[tuple[str, str]], shared: int = 0) -> str:
    """The label of a measured figure, each method with the parts it measured:
    "measured: NVML energy counter (GPU) + RAPL, whole machine (CPU package, DRAM)"."""
    by_method: dict[str, list[str]] = {}
    for part, method in sorted(parts, key=lambda p: (METHODS.index(p[1]), PARTS.index(p[0]))):
        by_method.setdefault(method, []).append(PART_NAMES[part])
    if not by_method:
        return ESTIMATE_LABEL
    text = "measured: " + " + ".join(
        f"{METHOD_NAMES[method]} ({', '.join(names)})" for method, names in by_method.items()
    )
    if shared == SHARING_UNKNOWN:
        text += "; whole GPU, sharing unknown (NVML does not show this run's processes)"
    elif shared:
        text += f"; whole GPU, shared with {shared} other process{'es' if shared > 1 else ''}"
    return text


def describe_split(total_kwh: float, measured_kwh: float) -> str:
    """How a sum of runs' energy splits by method: "12.3 kWh: 10 measured (NVML, RAPL) ×
    PUE, 2.3 estimate: TDP × PUE"."""
    estimated = max(total_kwh - measured_kwh, 0.0)
    parts = []
    if measured_kwh:
        parts.append(f"{measured_kwh:,.3g} measured (NVML or RAPL) × PUE")
    if estimated or not parts:
        parts.append(f"{estimated:,.3g} {ESTIMATE_LABEL}")
    return f"{total_kwh:,.3g} kWh: " + ", ".join(parts)
