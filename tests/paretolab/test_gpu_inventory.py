"""The GPU inventory: NVML's answers (a stand-in module at its boundary), the fake inventory
of PARETOLAB_FAKE_GPUS, and a machine with neither."""

import sys
from types import SimpleNamespace

import pytest

from paretolab import gpu_inventory
from paretolab.errors import UserError
from paretolab.gpu_inventory import FAKE_GPUS_ENV, Gpu, inventory


class FakeNvml:
    """pynvml's calls the inventory makes, answering for two GPUs (the second reports no
    utilisation, as some drivers and MIG setups do)."""

    class NVMLError(Exception):
        pass

    def __init__(self, fail_init: bool = False) -> None:
        self.fail_init, self.shut = fail_init, False

    def nvmlInit(self) -> None:
        if self.fail_init:
            raise self.NVMLError("Driver Not Loaded")

    def nvmlShutdown(self) -> None:
        self.shut = True

    def nvmlDeviceGetCount(self) -> int:
        return 2

    def nvmlDeviceGetHandleByIndex(self, index: int) -> int:
        return index

    def nvmlDeviceGetMemoryInfo(self, handle: int) -> SimpleNamespace:
        return SimpleNamespace(total=80e9, used=[12e9, 0.0][handle])

    def nvmlDeviceGetUtilizationRates(self, handle: int) -> SimpleNamespace:
        if handle == 1:
            raise self.NVMLError("Not Supported")
        return SimpleNamespace(gpu=87)

    def nvmlDeviceGetName(self, handle: int) -> bytes | str:
        return b"NVIDIA H100 80GB HBM3" if handle == 0 else "NVIDIA H100 80GB HBM3"

    def nvmlDeviceGetMigMode(self, handle: int) -> list[int]:
        return [0, 0]  # current, pending: MIG off


class FakeMigNvml(FakeNvml):
    """GPU 1 in MIG mode with instances in slots 0 and 2 of 7 (a MIG device's handle is
    (GPU, slot)); NVML answers NOT_FOUND for an empty slot, NOT_SUPPORTED for utilisation."""

    NVML_DEVICE_MIG_ENABLE = 1

    def nvmlDeviceGetMigMode(self, handle: int) -> list[int]:
        return [1, 1] if handle == 1 else [0, 0]

    def nvmlDeviceGetMaxMigDeviceCount(self, handle: int) -> int:
        return 7

    def nvmlDeviceGetMigDeviceHandleByIndex(self, handle: int, slot: int) -> tuple[int, int]:
        if slot not in (0, 2):
            raise self.NVMLError("Not Found")
        return (handle, slot)

    def nvmlDeviceGetUUID(self, handle: tuple[int, int]) -> str:
        return f"MIG-{handle[0]}-{handle[1]}"

    def nvmlDeviceGetMemoryInfo(self, handle) -> SimpleNamespace:
        if isinstance(handle, tuple):
            return SimpleNamespace(total=10e9, used=[1e9, 0.0, 3e9][handle[1]])
        return super().nvmlDeviceGetMemoryInfo(handle)

    def nvmlDeviceGetUtilizationRates(self, handle) -> SimpleNamespace:
        if isinstance(handle, tuple):
            raise self.NVMLError("Not Supported")
        return super().nvmlDeviceGetUtilizationRates(handle)

    def nvmlDeviceGetName(self, handle) -> bytes | str:
        return "NVIDIA H100 80GB HBM3 MIG 1g.10gb" if isinstance(handle, tuple) else "NVIDIA H100"


def test_nvml_gpus_are_read_with_memory_and_utilisation(monkeypatch) -> None:
    monkeypatch.delenv(FAKE_GPUS_ENV, raising=False)
    nvml = FakeNvml()
    monkeypatch.setitem(sys.modules, "pynvml", nvml)
    assert inventory() == [
        Gpu(0, "NVIDIA H100 80GB HBM3", 80.0, 12.0, 87.0),
        Gpu(1, "NVIDIA H100 80GB HBM3", 80.0, 0.0, None),
    ]
    assert nvml.shut  # NVML is let go after each reading
    assert inventory()[0].memory_free_gb == 68.0


def test_a_gpu_in_mig_mode_is_listed_as_its_mig_instances(monkeypatch) -> None:
    """CUDA cannot use a GPU in MIG mode itself: its instances are listed, by UUID."""
    monkeypatch.delenv(FAKE_GPUS_ENV, raising=False)
    monkeypatch.setitem(sys.modules, "pynvml", FakeMigNvml())
    mig = "NVIDIA H100 80GB HBM3 MIG 1g.10gb"
    assert inventory() == [
        Gpu(0, "NVIDIA H100", 80.0, 12.0, 87.0),
        Gpu(200, mig, 10.0, 1.0, None, uuid="MIG-1-0"),
        Gpu(202, mig, 10.0, 3.0, None, uuid="MIG-1-2"),
    ]
    assert [g.visible_as for g in inventory()] == ["0", "MIG-1-0", "MIG-1-2"]
    assert [g.is_mig for g in inventory()] == [False, True, True]


def test_a_fake_gpu_may_carry_a_uuid(monkeypatch) -> None:
    monkeypatch.setenv(
        FAKE_GPUS_ENV,
        '[{"index": 100, "name": "A100 MIG 3g.20gb", "memory_gb": 20, "uuid": "MIG-a"}]',
    )
    (gpu,) = inventory()
    assert (gpu.index, gpu.uuid, gpu.is_mig, gpu.visible_as) == (100, "MIG-a", True, "MIG-a")


def test_no_driver_means_no_gpus(monkeypatch) -> None:
    monkeypatch.delenv(FAKE_GPUS_ENV, raising=False)
    monkeypatch.setitem(sys.modules, "pynvml", FakeNvml(fail_init=True))
    assert inventory() == []


def test_the_fake_inventory_replaces_nvml(monkeypatch) -> None:
    monkeypatch.setattr(gpu_inventory, "_nvml_gpus", lambda: pytest.fail("NVML was asked"))
    monkeypatch.setenv(
        FAKE_GPUS_ENV,
        '[{"index": 1, "name": "B", "memory_gb": 40, "used_gb": 50, "util": 3},'
        ' {"index": 0, "name": "A", "memory_gb": 80}]',
    )
    gpus = inventory()
    assert [g.index for g in gpus] == [0, 1]  # by index
    assert gpus[1] == Gpu(1, "B", 40.0, 50.0, 3.0) and gpus[1].memory_free_gb == 0.0


@pytest.mark.parametrize(
    ("value", "what"),
    [
        ("not json", "cannot read it"),
        ('{"index": 0}', "cannot read it"),
        ('[{"index": 0, "name": "A"}]', "cannot read it ('memory_gb')"),
        ('[{"index": 0, "name": "A", "memory_gb": 8}, {"index": 0, "name": "B", "memory_gb": 8}]',
         "two GPUs share an index"),
    ],
)  # fmt: skip
def test_a_bad_fake_inventory_says_what_to_write(monkeypatch, value: str, what: str) -> None:
    monkeypatch.setenv(FAKE_GPUS_ENV, value)
    with pytest.raises(UserError) as err:
        inventory()
    assert what in str(err.value) and "give a JSON list such as" in str(err.value)


class LostGpuNvml(FakeNvml):
    """GPU 0 has fallen off the bus: every call about it fails."""

    def nvmlDeviceGetMemoryInfo(self, handle: int) -> SimpleNamespace:
        if handle == 0:
            raise self.NVMLError("GPU is lost")
        return super().nvmlDeviceGetMemoryInfo(handle)


def test_a_lost_gpu_is_left_out_and_the_others_are_still_read(monkeypatch, caplog) -> None:
    monkeypatch.delenv(FAKE_GPUS_ENV, raising=False)
    monkeypatch.setitem(sys.modules, "pynvml", LostGpuNvml())
    assert inventory() == [Gpu(1, "NVIDIA H100 80GB HBM3", 80.0, 0.0, None)]
    assert "GPU 0 left out of the inventory: NVML says GPU is lost" in caplog.text
