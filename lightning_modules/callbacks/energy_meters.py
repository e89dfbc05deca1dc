"""A run's measured energy by part and method, from the best meter each part has.

- GPUs: NVML's total-energy counter (read when sampling starts and at every sample: the
  difference is the energy), else, per GPU without the counter, its power samples
  integrated by the trapezoid rule (``EnergyMeter``). NVML power is an average the driver
  samples only part of the time on A100/H100, so the counter is preferred where it exists.
- CPU package and DRAM: RAPL (``rapl.RaplMeter``), where readable, for runs without GPUs
  only. RAPL counts the whole machine's package and DRAM (every process; concurrent runs
  each count all of it, which the label says). A GPU run's figure is its GPUs', as on
  every GPU run, so GPU runs on one frontier share one basis: the host's share would be
  there only where RAPL happens to be readable.

Each sample gives metrics named by ``paretolab.costing.energy_methods`` (kWh at the device,
cumulative since start): ``system/energy_gpu_nvml_energy_kwh`` …, their sum
``system/energy_kwh``, and ``system/gpu_other_processes`` (the most processes outside the
run seen on its GPUs: the counters cover whole devices). A part with no meter logs
nothing; the cost views then use the TDP × PUE estimate and say so. When some part was
measured but some of the run's GPUs were not, ``system/energy_gpu_unmeasured_share`` tells
the views to keep that share of the estimate for them.
"""

from __future__ import annotations

from lightning_modules.callbacks.gpu_probe import JOULES_PER_KWH, EnergyMeter, GpuProbe
from lightning_modules.callbacks.rapl import RaplMeter
from paretolab.costing import energy_methods as em


class RunEnergy:
    """The energy meters of one run. ``start`` once, then ``update`` at every sample.

    Args:
        gpus: the run's GPUs NVML knows (None on a CPU run or without NVML).
        rapl: the machine's RAPL zones (None where unreadable); read for a CPU run only.
        gpu_count: how many GPUs the run uses, NVML's or not.
    """

    def __init__(self, gpus: GpuProbe | None, rapl: RaplMeter | None, gpu_count: int = 0):
        self.gpus, self.gpu_count = gpus, gpu_count
        # RAPL for CPU runs only (see the module docstring)
        self.rapl = None if gpu_count or gpus is not None else rapl
        self._powered: set[int] = set()  # GPUs metered by their power samples
        self._base_mj: dict[int, float] = {}  # counter at start, by GPU
        self._counted_mj: dict[int, float] = {}  # counter − base at the last reading
        self._last_mj: dict[int, float] = {}
        self.power = EnergyMeter()  # GPUs without the counter
        self.shared = 0  # the most other processes seen on its GPUs
        self.sharing_unknown = False  # NVML once listed processes but none of the run's

    def start(self, t: float, powers: dict[int, float]) -> None:
        """Read the counters' starting values and the first power samples (time ``t``)."""
        if self.gpus is not None:
            self._base_mj = self.gpus.energy_mj()
            self._last_mj = dict(self._base_mj)
            self.power.add(t, self._without_counter(powers))

    def update(self, t: float, powers: dict[int, float]) -> dict[str, float]:
        """The energy so far as metrics (empty when nothing is measured)."""
        out: dict[str, float] = {}
        if self.gpus is not None:
            out |= self._gpu_energy(t, powers)
        if self.rapl is not None:
            for part, joules in self.rapl.read().items():
                out[em.part_key(part, em.RAPL)] = joules / JOULES_PER_KWH
        if out:
            out[em.TOTAL_KEY] = sum(out.values())
            metered = len(set(self._base_mj) | self._powered)
            if metered < self.gpu_count:
                out[em.UNMEASURED_GPU_KEY] = (self.gpu_count - metered) / self.gpu_count
        if self.gpus is not None:
            seen = self.gpus.other_processes()
            self.sharing_unknown |= seen == em.SHARING_UNKNOWN
            self.shared = max(self.shared, seen)
            unknown = self.sharing_unknown and not self.shared  # a count seen wins
            out[em.SHARED_KEY] = float(em.SHARING_UNKNOWN if unknown else self.shared)
        return out

    def _without_counter(self, powers: dict[int, float]) -> dict[int, float]:
        return {gpu: watts for gpu, watts in powers.items() if gpu not in self._base_mj}

    def _gpu_energy(self, t: float, powers: dict[int, float]) -> dict[str, float]:
        out: dict[str, float] = {}
        for gpu, now in self.gpus.energy_mj().items():
            if gpu not in self._base_mj:
                continue  # no starting value: this GPU is metered by its power
            if now < self._last_mj[gpu]:  # the driver reloaded: carry on from here
                self._base_mj[gpu] = now - self._counted_mj.get(gpu, 0.0)
            self._last_mj[gpu] = now
            self._counted_mj[gpu] = now - self._base_mj[gpu]
        if self._base_mj:
            joules = sum(self._counted_mj.values()) / 1000.0  # mJ → J
            out[em.part_key("gpu", em.NVML_ENERGY)] = joules / JOULES_PER_KWH
        fallback = self._without_counter(powers)
        self._powered |= set(fallback)
        if fallback or self.power.joules:
            self.power.add(t, fallback)
            out[em.part_key("gpu", em.NVML_POWER)] = self.power.kwh
        return out
