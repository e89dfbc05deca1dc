"""NVIDIA GPUs through NVML (the ``pynvml`` module of ``nvidia-ml-py``): readings and energy.

NVML answers from the driver without a CUDA context, so reading it from a background
thread costs the training nothing on the GPU. A machine without NVIDIA's driver has no
GPUs to read: ``GpuProbe.open`` returns None, never an error. A measure a GPU does not
support (power on some boards, clocks in a VM, the energy counter before Volta) is left out
of its readings.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass, field

import pynvml

from paretolab import monitoring as m
from paretolab.costing import energy_methods as em

log = logging.getLogger(__name__)
MB = 2**20
JOULES_PER_KWH = 3.6e6
ENERGY, PROCESSES = "energy_counter", "processes"  # NVML queries besides the readings


@dataclass
class _Gpu:
    index: int  # the CUDA device index the run sees
    handle: object
    unsupported: set[str] = field(default_factory=set)  # measures NVML refused once


class GpuProbe:
    """Reads the GPUs a run uses. Open with ``GpuProbe.open``; ``close`` when done."""

    def __init__(self, gpus: list[_Gpu]):
        self.gpus = gpus

    @classmethod
    def open(cls, devices: Sequence[tuple[int, str]]) -> GpuProbe | None:
        """A probe for ``devices`` — (CUDA index, NVML UUID) pairs — or None when NVML is
        not there (no NVIDIA driver) or knows none of them."""
        if not devices:
            return None
        try:
            pynvml.nvmlInit()
        except pynvml.NVMLError as exc:
            log.info("no GPU metrics: NVML is not available (%s)", exc)
            return None
        gpus = []
        for index, uuid in devices:
            try:
                gpus.append(_Gpu(index, pynvml.nvmlDeviceGetHandleByUUID(uuid)))
            except pynvml.NVMLError as exc:
                log.warning("no metrics for GPU %d (%s): %s", index, uuid, exc)
        if not gpus:
            pynvml.nvmlShutdown()
            return None
        return cls(gpus)

    def read(self) -> dict[int, dict[str, float]]:
        """Each GPU's readings now, by CUDA index: names from ``paretolab.monitoring``
        (``util_percent``, ``memory_used_mb``, ``power_w`` …)."""
        return {gpu.index: self._read_one(gpu) for gpu in self.gpus}

    def _read_one(self, gpu: _Gpu) -> dict[str, float]:
        h = gpu.handle
        readers = {
            "utilization": lambda: pynvml.nvmlDeviceGetUtilizationRates(h),
            "memory": lambda: pynvml.nvmlDeviceGetMemoryInfo(h),
            m.GPU_POWER: lambda: pynvml.nvmlDeviceGetPowerUsage(h) / 1000.0,  # mW → W
            m.GPU_TEMPERATURE: lambda: pynvml.nvmlDeviceGetTemperature(
                h, pynvml.NVML_TEMPERATURE_GPU
            ),
            m.GPU_SM_CLOCK: lambda: pynvml.nvmlDeviceGetClockInfo(h, pynvml.NVML_CLOCK_SM),
            m.GPU_MEMORY_CLOCK: lambda: pynvml.nvmlDeviceGetClockInfo(h, pynvml.NVML_CLOCK_MEM),
        }
        raw = {}
        for name, read in readers.items():
            if name in gpu.unsupported:
                continue
            try:
                raw[name] = read()
            except pynvml.NVMLError_NotSupported:
                gpu.unsupported.add(name)  # never ask again: each refusal costs a call
            except pynvml.NVMLError as exc:  # e.g. a GPU that fell off the bus
                log.debug("GPU %d %s: %s", gpu.index, name, exc)
        out: dict[str, float] = {}
        if "utilization" in raw:
            out[m.GPU_UTIL] = float(raw["utilization"].gpu)
            out[m.GPU_MEMORY_UTIL] = float(raw["utilization"].memory)
        if "memory" in raw:
            out[m.GPU_MEMORY_USED] = raw["memory"].used / MB
            out[m.GPU_MEMORY_TOTAL] = raw["memory"].total / MB
        for name in (m.GPU_POWER, m.GPU_TEMPERATURE, m.GPU_SM_CLOCK, m.GPU_MEMORY_CLOCK):
            if name in raw:
                out[name] = float(raw[name])
        return out

    def energy_mj(self) -> dict[int, float]:
        """Each GPU's total-energy counter (mJ since the driver loaded; Volta and newer), by
        CUDA index. A GPU without the counter, or that cannot answer now, is left out."""
        out: dict[int, float] = {}
        for gpu in self.gpus:
            if ENERGY in gpu.unsupported:
                continue
            try:
                out[gpu.index] = float(pynvml.nvmlDeviceGetTotalEnergyConsumption(gpu.handle))
            except pynvml.NVMLError_NotSupported:
                gpu.unsupported.add(ENERGY)
            except pynvml.NVMLError as exc:
                log.debug("GPU %d energy counter: %s", gpu.index, exc)
        return out

    def other_processes(self) -> int:
        """How many processes outside this run use its GPUs now.

        The executor starts each run as its own process group, so this run's processes (its
        DDP ranks included) share this process's group. When NVML lists processes but none
        of ours (a container's PID namespace hides them), ours cannot be told from others':
        ``SHARING_UNKNOWN``.
        """
        pids: set[int] = set()
        for gpu in self.gpus:
            if PROCESSES in gpu.unsupported:
                continue
            try:
                listed = pynvml.nvmlDeviceGetComputeRunningProcesses(gpu.handle)
            except pynvml.NVMLError_NotSupported:
                gpu.unsupported.add(PROCESSES)
                continue
            except pynvml.NVMLError as exc:
                log.debug("GPU %d processes: %s", gpu.index, exc)
                continue
            pids |= {int(p.pid) for p in listed}
        ours = {pid for pid in pids if _in_this_group(pid)}
        if not ours:
            return em.SHARING_UNKNOWN if pids else 0
        return len(pids - ours)

    def close(self) -> None:
        """Release NVML (reference-counted by the driver library: other users keep theirs)."""
        try:
            pynvml.nvmlShutdown()
        except pynvml.NVMLError as exc:
            log.debug("nvmlShutdown: %s", exc)


def _in_this_group(pid: int) -> bool:
    try:
        return os.getpgid(pid) == os.getpgid(0)
    except OSError:  # gone, or not visible from here
        return False


class EnergyMeter:
    """Integrates each GPU's power over time (trapezoid rule) into energy.

    ``add(t, watts)`` with a monotonic time in seconds and each GPU's power in watts. A GPU
    missing from a reading is bridged: its next reading integrates from its last one.
    """

    def __init__(self) -> None:
        self.joules = 0.0
        self._last: dict[int, tuple[float, float]] = {}  # GPU → (time, watts)

    def add(self, t: float, watts: dict[int, float]) -> None:
        for gpu, power in watts.items():
            if gpu in self._last:
                t0, p0 = self._last[gpu]
                self.joules += (p0 + power) / 2.0 * max(t - t0, 0.0)
            self._last[gpu] = (t, power)

    @property
    def kwh(self) -> float:
        """Energy so far, all GPUs, in kWh."""
        return self.joules / JOULES_PER_KWH
