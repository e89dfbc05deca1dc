"""GPU energy by NVML's counter, power samples where a GPU has none, RAPL beside them, and
a GPU shared with other processes — NVML faked at the pynvml boundary."""

import os
from pathlib import Path
from types import SimpleNamespace

import lightning.pytorch as pl
import pynvml
import pytest
import sqlalchemy as sa

from lightning_modules.callbacks import rapl, system_metrics
from lightning_modules.callbacks.energy_meters import RunEnergy
from lightning_modules.callbacks.gpu_probe import GpuProbe
from lightning_modules.callbacks.rapl import RaplMeter
from lightning_modules.run.train import run_training
from paretolab.costing import energy_methods as em
from paretolab.costing.run_figures import cost_figures
from paretolab.store import RunStore
from paretolab.store.schema import run_costs
from tests.conftest import queue_run, tiny_config
from tests.lightning_modules.test_rapl import set_energy, zone

KWH = 3.6e6  # J


class CounterNvml:
    """Two GPUs: ``GPU-a`` with the energy counter (mJ), ``GPU-b`` with power only unless
    ``both_count``; ``pids`` are the processes NVML lists on the GPUs."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, both_count: bool = False):
        self.counter_mj = {"GPU-a": 5_000_000.0, "GPU-b": 7_000_000.0}
        self.power_mw = {"GPU-a": 300_000, "GPU-b": 200_000}
        self.pids: list[int] = [os.getpid()]
        self.counted = {"GPU-a", "GPU-b"} if both_count else {"GPU-a"}

        def counter(handle):
            if handle not in self.counted:
                raise pynvml.NVMLError_NotSupported(pynvml.NVML_ERROR_NOT_SUPPORTED)
            return int(self.counter_mj[handle])

        patches = {
            "nvmlInit": lambda: None,
            "nvmlShutdown": lambda: None,
            "nvmlDeviceGetHandleByUUID": lambda uuid: uuid,
            "nvmlDeviceGetTotalEnergyConsumption": counter,
            "nvmlDeviceGetPowerUsage": lambda h: self.power_mw[h],
            "nvmlDeviceGetComputeRunningProcesses": lambda h: [
                SimpleNamespace(pid=p, usedGpuMemory=0) for p in self.pids
            ],
        }
        for name, fn in patches.items():
            monkeypatch.setattr(pynvml, name, fn)

    def probe(self) -> GpuProbe:
        return GpuProbe.open([(0, "GPU-a"), (1, "GPU-b")])


def test_the_counter_where_a_gpu_has_one_power_samples_where_not(monkeypatch) -> None:
    nvml = CounterNvml(monkeypatch)
    probe = nvml.probe()
    energy = RunEnergy(probe, None)
    energy.start(0.0, {0: 300.0, 1: 200.0})
    nvml.counter_mj["GPU-a"] += 3_600_000  # 3,600 J on a's counter
    out = energy.update(10.0, {0: 999.0, 1: 400.0})  # a's power is not integrated
    assert out[em.part_key("gpu", em.NVML_ENERGY)] == pytest.approx(3600 / KWH)
    # b: a trapezoid of its power, (200 + 400) / 2 W × 10 s.
    assert out[em.part_key("gpu", em.NVML_POWER)] == pytest.approx(3000 / KWH)
    assert out[em.TOTAL_KEY] == pytest.approx(6600 / KWH)
    assert out[em.SHARED_KEY] == 0.0


def test_a_counter_reset_carries_on_and_a_failed_read_keeps_the_total(monkeypatch) -> None:
    nvml = CounterNvml(monkeypatch, both_count=True)
    energy = RunEnergy(nvml.probe(), None)
    energy.start(0.0, {})
    nvml.counter_mj["GPU-a"] += 1_000_000
    energy.update(1.0, {})
    nvml.counter_mj["GPU-a"] = 500_000  # the driver reloaded: its counter restarted
    out = energy.update(2.0, {})
    assert out[em.part_key("gpu", em.NVML_ENERGY)] == pytest.approx(1000 / KWH)

    def gone(handle):
        raise pynvml.NVMLError_GpuIsLost(pynvml.NVML_ERROR_GPU_IS_LOST)

    monkeypatch.setattr(pynvml, "nvmlDeviceGetTotalEnergyConsumption", gone)
    assert energy.update(3.0, {})[em.part_key("gpu", em.NVML_ENERGY)] == pytest.approx(1000 / KWH)


def test_other_processes_on_the_gpu_are_counted_and_ours_are_not(monkeypatch) -> None:
    nvml = CounterNvml(monkeypatch, both_count=True)
    energy = RunEnergy(nvml.probe(), None)
    energy.start(0.0, {})
    # This run's process (its DDP ranks share its group) and one that is not ours.
    nvml.pids = [os.getpid(), 2**22 + 12345]  # above Linux's default pid_max: no such process
    assert energy.update(1.0, {})[em.SHARED_KEY] == 1.0
    nvml.pids = [os.getpid()]
    assert energy.update(2.0, {})[em.SHARED_KEY] == 1.0  # the most seen so far is kept
    # NVML from another PID namespace lists none of ours: nothing can be told apart.
    nvml.pids = [2**22 + 1, 2**22 + 2]
    assert nvml.probe().other_processes() == em.SHARING_UNKNOWN
    hidden = RunEnergy(nvml.probe(), None)
    hidden.start(0.0, {})
    assert hidden.update(1.0, {})[em.SHARED_KEY] == em.SHARING_UNKNOWN
    nvml.pids = []
    assert nvml.probe().other_processes() == 0  # nobody on the GPUs: not shared


def test_labels_say_when_sharing_is_unknown_and_when_gpus_are_left_out() -> None:
    """A figure labelled measured must not hide GPUs nobody measured, nor claim exclusive
    use when NVML could not tell."""
    latest = {
        em.part_key("gpu", em.NVML_ENERGY): SimpleNamespace(value=0.5),
        em.UNMEASURED_GPU_KEY: SimpleNamespace(value=0.5),
        em.SHARED_KEY: SimpleNamespace(value=float(em.SHARING_UNKNOWN)),
    }
    label = cost_figures(latest)["energy_source"]  # no cost/energy_kwh: no TDP estimate
    assert label == (
        "measured: NVML energy counter (GPU); whole GPU, sharing unknown (NVML does not show "
        "this run's processes); 50% of the run's GPUs unmeasured and left out (no TDP estimate)"
    )


def test_a_gpu_run_counts_its_gpus_not_the_machines_rapl(monkeypatch, tmp_path: Path) -> None:
    """RAPL covers the whole machine: GPU runs are costed by their GPUs only, one basis for
    all of them, whether RAPL is readable or not."""
    nvml = CounterNvml(monkeypatch, both_count=True)
    monkeypatch.setattr(GpuProbe, "read", lambda self: {0: {}, 1: {}})
    pkg = zone(tmp_path / "intel-rapl:0", "package-0", 0)
    dram = zone(pkg / "intel-rapl:0:1", "dram", 0)
    now = iter([0.0, 5.0])
    sampler = system_metrics.SystemSampler(
        nvml.probe(), clock=lambda: next(now), rapl=RaplMeter.open(tmp_path)
    )
    nvml.counter_mj["GPU-b"] += 7_200_000
    set_energy(pkg, 360_000)
    set_energy(dram, 36_000)
    out = sampler.sample()
    assert out[em.part_key("gpu", em.NVML_ENERGY)] == pytest.approx(7200 / KWH)
    assert em.part_key("cpu", em.RAPL) not in out and em.part_key("dram", em.RAPL) not in out
    assert out[em.TOTAL_KEY] == pytest.approx(7200 / KWH)
    cpu_run = RunEnergy(None, RaplMeter.open(tmp_path), gpu_count=0)
    cpu_run.start(0.0, {})
    set_energy(pkg, 720_000)
    assert cpu_run.update(1.0, {})[em.part_key("cpu", em.RAPL)] == pytest.approx(0.36 / KWH)


def test_a_cpu_sampler_without_rapl_measures_nothing() -> None:
    out = system_metrics.SystemSampler(None, rapl=None).sample()
    assert not any(k.startswith("system/energy") for k in out) and em.SHARED_KEY not in out


class BurnPackage(pl.Callback):
    """Adds 1 J to the fake package counter each training batch, as a busy CPU would."""

    def __init__(self, package: Path):
        self.package, self.uj = package, 0

    def on_train_batch_end(self, *args) -> None:
        self.uj += 1_000_000
        set_energy(self.package, self.uj)


@pytest.mark.slow
def test_a_cpu_run_with_readable_rapl_stores_and_shows_its_method(
    store: RunStore, monkeypatch, tmp_path: Path
) -> None:
    pkg = zone(tmp_path / "powercap" / "intel-rapl:0", "package-0", 0, wrap=2**40)
    monkeypatch.setenv(rapl.ROOT_ENV, str(tmp_path / "powercap"))
    burn = BurnPackage(pkg)
    run_id = queue_run(store, tiny_config("monitoring.interval_s=0.1", "trainer.max_epochs=1"))
    assert run_training(store, run_id, extra_callbacks=[burn]) == "finished"
    latest = store.latest_metrics(run_id)
    assert latest[em.part_key("cpu", em.RAPL)].value == pytest.approx(burn.uj / 1e6 / KWH)
    figures = cost_figures(latest)
    assert figures["energy_method"] == em.RAPL
    assert figures["energy_source"] == "measured: RAPL, whole machine (CPU package)"
    with store.engine.connect() as conn:
        query = sa.select(run_costs.c.energy_method).where(run_costs.c.run_id == run_id)
        assert conn.execute(query).scalar_one() == em.RAPL


def test_gpus_no_meter_covers_keep_their_share_of_the_estimate(monkeypatch) -> None:
    # A 2-GPU run where NVML knows one GPU only: that one is measured, the other keeps its
    # share of the estimate, and the label says so.
    nvml = CounterNvml(monkeypatch)
    energy = RunEnergy(nvml.probe(), None, gpu_count=4)
    energy.start(0.0, {0: 300.0, 1: 200.0})
    out = energy.update(3600.0, {0: 300.0, 1: 200.0})
    assert out[em.UNMEASURED_GPU_KEY] == 0.5
    latest = {
        k: SimpleNamespace(value=v)
        for k, v in {**out, "cost/energy_kwh": 2.0, "cost/co2_kg": 1.0}.items()
    }
    figures = cost_figures(latest)
    assert figures["energy_method"] == "nvml_energy+nvml_power+tdp_estimate"
    assert figures["energy_source"].endswith(" + estimate: TDP × PUE (GPU)")
    measured = out[em.TOTAL_KEY]
    assert figures["energy_kwh"] == pytest.approx(measured * 1.1 + 2.0 * 0.5)
    assert figures["co2_kg"] == pytest.approx(figures["energy_kwh"] * 0.5)


def test_every_gpu_metered_leaves_no_estimate(monkeypatch) -> None:
    nvml = CounterNvml(monkeypatch)  # a by its counter, b by its power
    energy = RunEnergy(nvml.probe(), None, gpu_count=2)
    energy.start(0.0, {0: 300.0, 1: 200.0})
    assert em.UNMEASURED_GPU_KEY not in energy.update(1.0, {0: 300.0, 1: 200.0})
    one_more = RunEnergy(nvml.probe(), None, gpu_count=3)  # a GPU NVML does not know
    one_more.start(0.0, {0: 300.0, 1: 200.0})
    assert one_more.update(1.0, {0: 300.0, 1: 200.0})[em.UNMEASURED_GPU_KEY] == pytest.approx(1 / 3)
