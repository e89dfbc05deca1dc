"""What this machine can train on: detection (torch's CUDA answers mocked at its boundary),
the choices that follow, the refusals, and `paretolab devices`."""

import json
from types import SimpleNamespace

import pytest
import torch

from paretolab import devices
from paretolab.cli import main
from paretolab.config import HardwareConfig
from paretolab.errors import UserError
from paretolab.store import RunStore
from tests.conftest import TINY


def gpu(index: int, bf16: bool = True, name: str = "NVIDIA H100 80GB HBM3") -> devices.Accelerator:
    return devices.Accelerator("cuda", index, name, 80.0, "9.0" if bf16 else "7.5", bf16, None)


CPU_ONLY = devices.Machine("Test CPU", 4, 2, 16.0)
TWO_T4 = devices.Machine("Test CPU", 4, 2, 16.0, (gpu(0, False, "Tesla T4"), gpu(1, False)))
ONE_H100 = devices.Machine("Test CPU", 4, 2, 16.0, (gpu(0),))


def test_choices_follow_what_the_machine_has() -> None:
    assert CPU_ONLY.accelerator_choices() == ["auto", "cpu"]
    assert CPU_ONLY.resolve("auto") == "cpu" and CPU_ONLY.max_devices("cpu") == 4
    assert CPU_ONLY.precisions("auto") == ["32", "bf16-mixed"]  # no fp16 autocast on a CPU
    assert ONE_H100.accelerator_choices() == ["auto", "cpu", "gpu"]
    assert ONE_H100.resolve("auto") == "gpu" and ONE_H100.max_devices("gpu") == 1
    assert ONE_H100.precisions("gpu") == ["32", "bf16-mixed", "16-mixed"]
    assert TWO_T4.precisions("gpu") == ["32", "16-mixed"]  # bf16 only where native


@pytest.mark.parametrize(
    ("machine", "hardware", "precision", "problems"),
    [
        (ONE_H100, {"accelerator": "gpu"}, "bf16-mixed", []),
        (
            CPU_ONLY,
            {"accelerator": "gpu"},
            "32",
            [
                "hardware.accelerator=gpu: this machine has no CUDA device (see `paretolab "
                "devices`); use cpu or auto"
            ],
        ),
        (
            ONE_H100,
            {"accelerator": "gpu", "devices": 2},
            "32",
            ["hardware.devices=2: this machine has 1 GPU(s); use at most 1"],
        ),
        (
            TWO_T4,
            {"accelerator": "auto"},
            "bf16-mixed",
            ["trainer.precision=bf16-mixed is not supported by this GPU; use 16-mixed or 32"],
        ),
        (
            CPU_ONLY,
            {"accelerator": "cpu", "devices": 8},
            "16-mixed",
            [
                "hardware.devices=8: this machine has 4 CPU core(s); use at most 4",
                "trainer.precision=16-mixed is not supported on CPU; use bf16-mixed or 32",
            ],
        ),
        (
            CPU_ONLY,
            {"accelerator": "mps"},
            "32",
            [
                "hardware.accelerator=mps: this machine has "
                "no MPS device (see `paretolab devices`); use cpu or auto"
            ],
        ),
    ],
)
def test_hardware_problems_name_the_field_and_the_fix(machine, hardware, precision, problems):
    config = HardwareConfig(**hardware)
    assert devices.hardware_problems(config, precision, machine) == problems
    if problems:
        with pytest.raises(UserError, match="hardware|precision"):
            devices.check_hardware(config, precision, machine)
    else:
        assert devices.check_hardware(config, precision, machine) == "gpu"


def test_cuda_devices_are_matched_to_the_catalog(monkeypatch: pytest.MonkeyPatch) -> None:
    props = [
        SimpleNamespace(name="NVIDIA H100 80GB HBM3", major=9, minor=0, total_memory=85e9),
        SimpleNamespace(name="Tesla T4", major=7, minor=5, total_memory=16e9),
        SimpleNamespace(name="Mystery Accelerator 9000", major=8, minor=9, total_memory=24e9),
    ]
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: len(props))
    monkeypatch.setattr(torch.cuda, "get_device_properties", lambda i: props[i])
    machine = devices.detect()
    h100, t4, mystery = machine.accelerators
    assert (h100.catalog, h100.bf16, h100.compute_capability) == ("h100-sxm", True, "9.0")
    assert h100.peak_flops["bf16"] == pytest.approx(9.895e14) and h100.memory_gb == 85.0
    assert (t4.catalog, t4.bf16) == ("t4", False)
    assert mystery.catalog is None and mystery.peak_flops == {}
    assert machine.precisions("gpu") == ["32", "16-mixed"]  # the T4 has no native bf16
    table = devices.devices_table(machine)
    assert "cuda:0  NVIDIA H100 80GB HBM3" in table and "not in the catalog" in table
    assert "hardware.accelerator=gpu: hardware.devices up to 3" in table


def test_devices_command_prints_a_table_and_json(home, capsys) -> None:
    assert main(["devices"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("DEVICE") and "\ncpu " in out and "a run here may use:" in out
    assert main(["devices", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["cpu_cores"] >= 1 and doc["memory_gb"] > 0
    assert doc["choices"]["cpu"] == {
        "devices": doc["cpu_cores"],
        "precisions": ["32", "bf16-mixed"],
    }


def test_train_refuses_a_device_the_machine_lacks_and_stores_nothing(
    home, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(devices, "detect", lambda: CPU_ONLY)
    assert main(["train", str(TINY), "--set", "hardware.accelerator=gpu"]) == 2
    err = capsys.readouterr().err
    assert err == (
        "paretolab: error: hardware.accelerator=gpu: this machine has no CUDA device "
        "(see `paretolab devices`); use cpu or auto\n"
    )
    assert RunStore().list_runs() == []
