"""System metrics: a tiny CPU run writes them, NVML (mocked at the pynvml boundary) gives
GPU readings and measured energy, and the sampler stops with the run on every exit."""

import os
import signal
import threading
from types import SimpleNamespace

import lightning.pytorch as pl
import pynvml
import pytest

from lightning_modules.callbacks import system_metrics
from lightning_modules.callbacks.gpu_probe import GpuProbe
from lightning_modules.callbacks.store_logger import StoreLogger
from lightning_modules.run.train import run_training
from paretolab import monitoring as m
from paretolab.costing.run_figures import cost_figures
from paretolab.store import RunStore
from tests.conftest import queue_run, tiny_config

FAST = ("monitoring.interval_s=0.1", "trainer.max_epochs=1")


def sampler_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "paretolab-system-metrics"]


@pytest.mark.slow
def test_a_tiny_cpu_run_writes_system_metrics(store: RunStore) -> None:
    run_id = queue_run(store, tiny_config(*FAST))
    assert run_training(store, run_id) == "finished"
    assert not sampler_threads()
    latest = store.latest_metrics(run_id)
    for key in (m.CPU_PERCENT, m.SYS_CPU_PERCENT, m.RSS_MB, m.MEMORY_PERCENT, m.MEMORY_USED_GB):
        assert key in latest, key
    assert not any("/gpu" in k for k in latest) and m.ENERGY_KWH not in latest  # no GPU here
    rss = store.metric_history(run_id, m.RSS_MB)
    assert len(rss) >= 2 and all(v > 10 for v in rss.values)  # a Python process with torch
    final_step = latest["cost/params"].step  # logged at the last global step
    assert rss.steps == sorted(rss.steps) and rss.steps[-1] == final_step
    summary = m.system_summary(latest)
    assert summary["peak_rss_mb"] >= max(rss.values) - 1e-6
    assert 0 <= summary["mean_cpu_percent"] <= 100
    assert summary["mean_gpu_util"] is None and summary["low_util"] is None


def test_monitoring_is_on_by_default_and_can_be_switched_off(tmp_path) -> None:
    from lightning_modules.run.trainers import build_trainer

    def samplers(*overrides: str) -> list:
        trainer = build_trainer(tiny_config(*overrides), tmp_path, [])
        return [c for c in trainer.callbacks if isinstance(c, system_metrics.SystemMetrics)]

    assert [c.interval_s for c in samplers()] == [5.0]
    assert [c.interval_s for c in samplers("monitoring.interval_s=2")] == [2.0]
    assert samplers("monitoring.enabled=false") == []


class Boom(pl.Callback):
    def on_train_batch_end(self, trainer, *args) -> None:
        if trainer.global_step >= 4:
            raise RuntimeError("boom")


class Sigterm(pl.Callback):
    """Sends this process SIGTERM mid-training, as a cancel does."""

    def on_train_batch_end(self, trainer, *args) -> None:
        if trainer.global_step == 4:
            os.kill(os.getpid(), signal.SIGTERM)


@pytest.mark.slow
@pytest.mark.parametrize(("callback", "status"), [(Boom(), "failed"), (Sigterm(), "cancelled")])
def test_the_sampler_stops_with_a_failed_or_cancelled_run(
    store: RunStore, callback: pl.Callback, status: str
) -> None:
    run_id = queue_run(store, tiny_config(*FAST, "trainer.max_epochs=50"))
    assert run_training(store, run_id, extra_callbacks=[callback]) == status
    assert not sampler_threads(), "the sampling thread outlived its run"
    latest = store.latest_metrics(run_id)
    # The last sample and the run's figures were stored on the way out.
    assert latest[m.PEAK_RSS_MB].step >= 4 and latest[m.RSS_MB].step >= 4


# ---------------------------------------------------------------- NVML, mocked


class FakeNvml:
    """pynvml's functions for two GPUs whose power is given by a script of readings."""

    def __init__(self, powers_mw: list[list[float]], util: float = 30.0):
        self.powers = iter(powers_mw)
        self.util, self.clock_calls, self.shutdowns = util, 0, 0
        self.current: list[float] = []

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        def power(handle):
            if handle == "GPU-a":  # one reading per sample: advance with the first GPU
                self.current = next(self.powers)
            return self.current[0 if handle == "GPU-a" else 1]

        def clock(handle, kind):
            self.clock_calls += 1
            raise pynvml.NVMLError_NotSupported(pynvml.NVML_ERROR_NOT_SUPPORTED)

        def shutdown():
            self.shutdowns += 1

        def no_counter(handle):
            raise pynvml.NVMLError_NotSupported(pynvml.NVML_ERROR_NOT_SUPPORTED)

        patches = {
            "nvmlInit": lambda: None,
            "nvmlShutdown": shutdown,
            "nvmlDeviceGetHandleByUUID": lambda uuid: uuid,
            "nvmlDeviceGetUtilizationRates": lambda h: SimpleNamespace(gpu=self.util, memory=10),
            "nvmlDeviceGetMemoryInfo": lambda h: SimpleNamespace(
                used=(3 if h == "GPU-a" else 5) * 2**30, total=16 * 2**30, free=0
            ),
            "nvmlDeviceGetPowerUsage": power,
            "nvmlDeviceGetTemperature": lambda h, sensor: 61,
            "nvmlDeviceGetClockInfo": clock,
            "nvmlDeviceGetTotalEnergyConsumption": no_counter,  # before Volta: power only
            "nvmlDeviceGetComputeRunningProcesses": lambda h: [],
        }
        for name, fn in patches.items():
            monkeypatch.setattr(pynvml, name, fn)


def test_gpu_readings_and_energy_from_nvml(monkeypatch: pytest.MonkeyPatch) -> None:
    # Power (mW) of GPUs a and b at t = 0 (start), 10 s and 30 s.
    nvml = FakeNvml([[100_000, 200_000], [300_000, 200_000], [300_000, 400_000]])
    nvml.install(monkeypatch)
    now = iter([0.0, 10.0, 30.0])
    probe = GpuProbe.open([(0, "GPU-a"), (1, "GPU-b")])
    sampler = system_metrics.SystemSampler(probe, clock=lambda: next(now))
    first = sampler.sample()
    assert first[m.gpu_key(0, m.GPU_UTIL)] == 30.0
    assert first[m.gpu_key(1, m.GPU_MEMORY_USED)] == 5 * 1024
    assert first[m.gpu_key(0, m.GPU_MEMORY_TOTAL)] == 16 * 1024
    assert (
        first[m.gpu_key(0, m.GPU_POWER)] == 300.0 and first[m.gpu_key(1, m.GPU_TEMPERATURE)] == 61
    )
    assert m.gpu_key(0, m.GPU_SM_CLOCK) not in first  # not supported: left out
    second = sampler.sample()
    # Trapezoids: a (100+300)/2·10 + 300·20 = 8000 J; b 200·10 + (200+400)/2·20 = 8000 J.
    assert first[m.ENERGY_KWH] == pytest.approx((2000 + 2000) / 3.6e6)
    assert second[m.ENERGY_KWH] == pytest.approx(16_000 / 3.6e6)
    assert nvml.clock_calls == 4  # SM and memory clock, once per GPU, then never again
    summary = sampler.summary()
    assert summary[m.PEAK_GPU_MEMORY_MB] == 5 * 1024 and summary[m.MEAN_GPU_UTIL] == 30.0
    probe.close()
    assert nvml.shutdowns == 1


@pytest.mark.slow
def test_a_run_on_a_gpu_stores_its_readings_energy_and_flag(
    store: RunStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    FakeNvml(([[250_000, 250_000]] * 10_000), util=20.0).install(monkeypatch)
    # The run trains on the CPU; NVML (mocked) reports two GPUs as this run's.
    monkeypatch.setattr(system_metrics, "run_gpus", lambda trainer: [(0, "GPU-a"), (1, "GPU-b")])
    run_id = queue_run(store, tiny_config(*FAST))
    assert run_training(store, run_id) == "finished"
    latest = store.latest_metrics(run_id)
    assert latest[m.gpu_key(1, m.GPU_POWER)].value == 250.0
    energy = store.metric_history(run_id, m.ENERGY_KWH)
    assert energy.values == sorted(energy.values) and energy.values[-1] > 0  # cumulative
    # Two GPUs at 250 W from fit start to fit end: a little more than the training time
    # (the cost tracker's wall_seconds), which leaves out the sanity check and setup.
    seconds = latest["cost/wall_seconds"].value
    assert 500 * seconds / 3.6e6 < energy.values[-1] < 500 * (seconds + 5) / 3.6e6
    # These fake GPUs have no energy counter: their power samples, and the figure says so.
    power = latest["system/energy_gpu_nvml_power_kwh"].value
    assert power == energy.values[-1]
    assert cost_figures(latest)["energy_source"] == "measured: NVML power samples (GPU)"
    summary = m.system_summary(latest)
    assert summary["mean_gpu_util"] == 20.0 and summary["peak_gpu_memory_mb"] == 5 * 1024
    assert summary["low_util"] == (
        "GPU utilisation averaged 20%: input-bound or too small a batch?"
    )


def test_no_nvml_means_no_gpu_metrics_and_no_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def missing():
        raise pynvml.NVMLError_LibraryNotFound(pynvml.NVML_ERROR_LIBRARY_NOT_FOUND)

    monkeypatch.setattr(pynvml, "nvmlInit", missing)
    assert GpuProbe.open([(0, "GPU-a")]) is None
    assert GpuProbe.open([]) is None


def test_store_logger_takes_points_from_two_threads() -> None:
    class Recording:
        def __init__(self):
            self.points = []

        def log_metrics(self, run_id, points):
            self.points += list(points)

    store = Recording()
    logger = StoreLogger(store, run_id=1, flush_every=7)

    def log(name: str) -> None:
        for step in range(500):
            logger.log_metrics({name: float(step)}, step=step)

    threads = [threading.Thread(target=log, args=(n,)) for n in ("train", "system/rss_mb")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    logger.finalize("success")
    for name in ("train", "system/rss_mb"):
        steps = [s for k, s, _, _ in store.points if k == name]
        assert steps == list(range(500)), name  # every point once, in order
