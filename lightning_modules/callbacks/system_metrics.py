"""System metrics of a run, sampled on a background thread while it trains.

Every ``monitoring.interval_s`` seconds the ``SystemMetrics`` callback's thread reads the
machine and the training process (psutil) and the run's NVIDIA GPUs (NVML, see
``gpu_probe``), and logs the readings through the run's ``StoreLogger`` as ``system/*``
metrics at the training step current at that moment (with their wall time), so the charts
share the training curves' x-axis. The names are in ``paretolab.monitoring``.

Energy is measured by the best meter each part has (``energy_meters``: NVML's energy
counter or power samples for the GPUs, RAPL for the CPU package and DRAM) and logged per
part and method, cumulative, with their sum ``system/energy_kwh``; the cost views prefer
it over the TDP estimate. When fit ends — also when it fails or is cancelled — the thread
is stopped and joined, a last sample closes the energy figures, and the run's peaks and
means are stored once (``system/peak_rss_mb`` …).

Only global rank zero samples (under DDP it reads every GPU of its node). W&B is not fed:
it samples system metrics of its own.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import lightning.pytorch as pl
import psutil
import torch

from lightning_modules.callbacks.energy_meters import RunEnergy
from lightning_modules.callbacks.gpu_probe import MB, GpuProbe
from lightning_modules.callbacks.rapl import RaplMeter
from lightning_modules.callbacks.store_logger import StoreLogger
from paretolab import monitoring as m

log = logging.getLogger(__name__)
GB = 2**30
JOIN_TIMEOUT_S = 10.0


class SystemSampler:
    """Reads the machine, this process and its GPUs; keeps the run's peaks and means.

    Rates (disk, network) and CPU % cover the time since the previous reading (since
    construction for the first one). Energy comes from ``rapl`` and the GPUs' meters;
    ``gpu_count`` is how many GPUs the run uses (default: those ``gpus`` reads).
    """

    def __init__(
        self,
        gpus: GpuProbe | None = None,
        clock: Callable[[], float] = time.monotonic,
        rapl: RaplMeter | None = None,
        gpu_count: int | None = None,
    ):
        self.gpus, self._clock = gpus, clock
        self.process = psutil.Process()
        self.cores = _usable_cores(self.process)
        if gpu_count is None:
            gpu_count = len(gpus.gpus) if gpus is not None else 0
        self.energy = RunEnergy(gpus, rapl, gpu_count)
        self.samples = 0
        self._peaks: dict[str, float] = {}
        self._sums: dict[str, list[float]] = {}  # key → [total, count]
        self.process.cpu_percent(None)  # start the CPU counters: the next call measures
        psutil.cpu_percent(None)
        self._last_time = clock()
        self._last_io = _io_counters()
        self.energy.start(self._last_time, _powers(gpus.read()) if gpus is not None else {})

    def sample(self) -> dict[str, float]:
        """One reading as ``{metric key: value}``."""
        now = self._clock()
        seconds = max(now - self._last_time, 1e-9)
        with self.process.oneshot():
            cpu = self.process.cpu_percent(None) / self.cores
            rss = self.process.memory_info().rss / MB
        memory = psutil.virtual_memory()
        out = {
            m.CPU_PERCENT: cpu,
            m.SYS_CPU_PERCENT: psutil.cpu_percent(None),
            m.RSS_MB: rss,
            m.MEMORY_PERCENT: memory.percent,
            m.MEMORY_USED_GB: (memory.total - memory.available) / GB,
        }
        io = _io_counters()
        for key, (before, after) in _pairs(self._last_io, io).items():
            out[key] = max(after - before, 0) / MB / seconds
        self._last_time, self._last_io = now, io
        readings = self.gpus.read() if self.gpus is not None else {}
        out |= self._gpu_metrics(readings)
        out |= self.energy.update(now, _powers(readings))
        self._account(out)
        return out

    def _gpu_metrics(self, readings: dict[int, dict[str, float]]) -> dict[str, float]:
        out = {
            m.gpu_key(i, name): v for i, values in readings.items() for name, v in values.items()
        }
        utils = [v[m.GPU_UTIL] for v in readings.values() if m.GPU_UTIL in v]
        if utils:
            self._add_mean(m.MEAN_GPU_UTIL, sum(utils) / len(utils))
        used = [v[m.GPU_MEMORY_USED] for v in readings.values() if m.GPU_MEMORY_USED in v]
        if used:
            self._add_peak(m.PEAK_GPU_MEMORY_MB, max(used))
        return out

    def _account(self, out: dict[str, float]) -> None:
        self.samples += 1
        self._add_peak(m.PEAK_RSS_MB, out[m.RSS_MB])
        self._add_mean(m.MEAN_CPU_PERCENT, out[m.CPU_PERCENT])

    def _add_peak(self, key: str, value: float) -> None:
        self._peaks[key] = max(self._peaks.get(key, value), value)

    def _add_mean(self, key: str, value: float) -> None:
        total = self._sums.setdefault(key, [0.0, 0])
        total[0] += value
        total[1] += 1

    def summary(self) -> dict[str, float]:
        """The run's figures so far: peak RSS and GPU memory, mean CPU % and GPU utilisation."""
        means = {key: total / count for key, (total, count) in self._sums.items() if count}
        return {**self._peaks, **means}


class SystemMetrics(pl.Callback):
    """Samples system metrics on a daemon thread from fit start to fit end (see the module).

    Args:
        interval_s: seconds between samples.
    """

    def __init__(self, interval_s: float = 5.0):
        self.interval_s = interval_s
        self.sampler: SystemSampler | None = None
        self.sample_seconds = 0.0  # time spent reading, on the sampling thread
        self._trainer: pl.Trainer | None = None
        self._loggers: list[StoreLogger] = []
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._sampling = threading.Lock()  # the thread's samples and the last one, in turn
        self._failures = 0

    @property
    def running(self) -> bool:
        """True while the sampling thread runs."""
        return self._thread is not None and self._thread.is_alive()

    def on_fit_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self.start(trainer)

    def on_fit_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self.stop()

    def on_exception(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, exception: BaseException
    ) -> None:
        self.stop()  # a failed or cancelled run: its readings up to now are kept

    def teardown(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        self.stop()

    def start(self, trainer: pl.Trainer) -> None:
        """Start sampling (global rank zero, when the run logs to the store)."""
        if self._thread is not None or not trainer.is_global_zero:
            return
        self._loggers = [lg for lg in trainer.loggers if isinstance(lg, StoreLogger)]
        if not self._loggers:
            return
        self._trainer = trainer
        devices = run_gpus(trainer)
        # Every GPU of the run, other nodes' too: this rank reads only its own node's, and
        # the rest keep their share of the estimate.
        gpu_count = trainer.world_size if devices else 0
        self.sampler = SystemSampler(
            GpuProbe.open(devices), rapl=RaplMeter.open(), gpu_count=gpu_count
        )
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._loop, name="paretolab-system-metrics", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop and join the thread, take a last sample, store the run's figures. Idempotent."""
        thread, self._thread = self._thread, None
        if thread is None:
            return
        self._stop.set()
        thread.join(JOIN_TIMEOUT_S)
        if thread.is_alive():
            log.warning("the system-metrics thread did not stop within %.0f s", JOIN_TIMEOUT_S)
        try:
            self._record()  # closes the energy integral at the end of fit
            self._log(self.sampler.summary())
        except Exception:
            log.exception("could not store the last system metrics")
        finally:
            if self.sampler.gpus is not None:
                self.sampler.gpus.close()
        n = self.sampler.samples
        log.info(
            "system metrics: %d samples, %.2f ms each",
            n,
            1000 * self.sample_seconds / n if n else 0.0,
        )

    def _loop(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self._record()
            except Exception:  # sampling must never fail the run
                self._failures += 1
                if self._failures == 1:
                    log.exception("a system-metrics sample failed (later failures: debug log)")
                else:
                    log.debug("a system-metrics sample failed", exc_info=True)

    def _record(self) -> None:
        with self._sampling:
            start = time.perf_counter()
            values = self.sampler.sample()
            self.sample_seconds += time.perf_counter() - start
        self._log(values)

    def _log(self, values: dict[str, Any]) -> None:
        step = self._trainer.global_step
        for logger in self._loggers:
            logger.log_metrics(values, step=step)


def run_gpus(trainer: pl.Trainer) -> list[tuple[int, str]]:
    """(CUDA index, NVML UUID) of each GPU the trainer uses on this node; [] off CUDA.

    Called on the training thread, where CUDA is already initialised: device properties
    need no context of their own.
    """
    if trainer.strategy.root_device.type != "cuda":
        return []
    return [(i, nvml_uuid(torch.cuda.get_device_properties(i).uuid)) for i in trainer.device_ids]


def nvml_uuid(cuda_uuid: object) -> str:
    """NVML's spelling of a device UUID torch reports (NVML prefixes ``GPU-``)."""
    text = str(cuda_uuid)
    return text if text.startswith(("GPU-", "MIG-")) else f"GPU-{text}"


def _usable_cores(process: psutil.Process) -> int:
    try:
        return len(process.cpu_affinity()) or 1
    except (AttributeError, psutil.Error):  # macOS has no affinity
        return psutil.cpu_count() or 1


def _io_counters() -> dict[str, float]:
    """Disk and network byte counters of the whole machine, by the rate each becomes."""
    out: dict[str, float] = {}
    try:
        disk = psutil.disk_io_counters()
        if disk is not None:
            out |= {m.DISK_READ: disk.read_bytes, m.DISK_WRITE: disk.write_bytes}
    except (OSError, RuntimeError):  # no disk statistics here (some containers)
        pass
    try:
        net = psutil.net_io_counters()
        if net is not None:
            out |= {m.NET_SENT: net.bytes_sent, m.NET_RECV: net.bytes_recv}
    except OSError:
        pass
    return out


def _pairs(before: dict[str, float], after: dict[str, float]) -> dict[str, tuple[float, float]]:
    return {key: (before[key], after[key]) for key in after if key in before}


def _powers(readings: dict[int, dict[str, float]]) -> dict[int, float]:
    return {i: v[m.GPU_POWER] for i, v in readings.items() if m.GPU_POWER in v}
