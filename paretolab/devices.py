"""What this machine can train on: CPU cores and memory, CUDA and MPS devices.

``detect()`` lists them, each accelerator with its name, memory, compute capability, bf16
support and the hardware-catalog entry its name matches (so the cost model knows its
peak FLOP/s). From that follow the choices a run config may make here — accelerator,
device count, precision — and ``hardware_problems`` refuses the others with a message
naming the field, before a run is recorded. torch is imported inside the functions only
(the core loads without it).
"""

from __future__ import annotations

import os
import platform
from dataclasses import asdict, dataclass, field
from typing import Any

import psutil

from paretolab import gpu_inventory
from paretolab.config import HardwareConfig
from paretolab.costing.catalog import Catalog, load_catalog
from paretolab.errors import UserError

GB = 1e9
PRECISIONS = ("32", "bf16-mixed", "16-mixed")  # the order the config lists them
_KIND = {"gpu": "cuda", "mps": "mps"}  # config accelerator → device kind
_WHERE = {"cpu": "on CPU", "gpu": "by this GPU", "mps": "on MPS"}


@dataclass(frozen=True)
class Accelerator:
    """One CUDA or MPS device."""

    kind: str  # "cuda" or "mps"
    index: int
    name: str
    memory_gb: float | None
    compute_capability: str | None  # CUDA only, e.g. "9.0"
    bf16: bool  # native bfloat16 (CUDA: compute capability 8.0 or newer)
    catalog: str | None  # the matching hardware-catalog entry, None if none matches
    peak_flops: dict[str, float] = field(default_factory=dict)  # the entry's, per dtype


@dataclass(frozen=True)
class Machine:
    """This machine's CPU, memory and accelerators."""

    cpu_name: str
    cpu_cores: int  # logical cores this process may use
    cpu_physical_cores: int | None
    memory_gb: float
    accelerators: tuple[Accelerator, ...] = ()
    torch_version: str = ""
    cuda_version: str | None = None
    catalog_error: str | None = None  # why no catalog entry could be matched, if so

    def count(self, kind: str) -> int:
        """Accelerators of ``kind`` ("cuda" or "mps")."""
        return sum(a.kind == kind for a in self.accelerators)

    def resolve(self, accelerator: str) -> str:
        """The accelerator ``auto`` stands for here: a GPU if there is one, else the CPU."""
        if accelerator != "auto":
            return accelerator
        return "gpu" if self.count("cuda") else "cpu"

    def accelerator_choices(self) -> list[str]:
        """The ``hardware.accelerator`` values that can train here."""
        present = [acc for acc, kind in _KIND.items() if self.count(kind)]
        return ["auto", "cpu", *present]

    def max_devices(self, accelerator: str) -> int:
        """The most ``hardware.devices`` for an accelerator here (CPU: one process a core)."""
        acc = self.resolve(accelerator)
        return self.cpu_cores if acc == "cpu" else self.count(_KIND[acc])

    def precisions(self, accelerator: str) -> list[str]:
        """The ``trainer.precision`` values the accelerator supports: fp16 autocast needs
        a GPU or MPS; bf16 the CPU or GPUs that all have it natively."""
        acc = self.resolve(accelerator)
        if acc == "cpu":
            return ["32", "bf16-mixed"]
        if acc == "mps":
            return ["32", "16-mixed"]
        gpus = [a for a in self.accelerators if a.kind == "cuda"]
        bf16 = bool(gpus) and all(a.bf16 for a in gpus)
        return [p for p in PRECISIONS if p != "bf16-mixed" or bf16]

    def as_dict(self) -> dict[str, Any]:
        """Everything, with the choices per accelerator, as plain data (``--json``)."""
        return {
            **asdict(self),
            "choices": {
                acc: {"devices": self.max_devices(acc), "precisions": self.precisions(acc)}
                for acc in self.accelerator_choices()
                if acc != "auto"
            },
        }


def detect() -> Machine:
    """This machine's CPU, memory and CUDA/MPS devices (no device memory is allocated)."""
    import torch

    try:
        catalog = load_catalog()
        error = None
    except UserError as exc:  # your hardware.yaml is broken: list the devices anyway
        catalog, error = None, str(exc)
    accelerators = [*_cuda_devices(torch, catalog), *_mps_devices(torch, catalog)]
    return Machine(
        cpu_name=cpu_name(),
        cpu_cores=usable_cores(),
        cpu_physical_cores=psutil.cpu_count(logical=False),
        memory_gb=psutil.virtual_memory().total / GB,
        accelerators=tuple(accelerators),
        torch_version=torch.__version__,
        cuda_version=torch.version.cuda,
        catalog_error=error,
    )


def _match(catalog: Catalog | None, name: str) -> tuple[str | None, dict[str, float]]:
    """The catalog entry matching a device name, and its peak FLOP/s per dtype."""
    key = catalog.match(name) if catalog is not None else None
    return key, dict(catalog.devices[key].peak_flops) if key else {}


def _cuda_devices(torch: Any, catalog: Catalog | None) -> list[Accelerator]:
    if os.environ.get(gpu_inventory.FAKE_GPUS_ENV, "").strip():
        return [_fake_device(g, catalog) for g in gpu_inventory.inventory()]
    if not torch.cuda.is_available():
        return []
    out = []
    for i in range(torch.cuda.device_count()):
        props = torch.cuda.get_device_properties(i)
        key, peaks = _match(catalog, props.name)
        out.append(
            Accelerator(
                kind="cuda",
                index=i,
                name=props.name,
                memory_gb=props.total_memory / GB,
                compute_capability=f"{props.major}.{props.minor}",
                # torch.cuda.is_bf16_supported(including_emulation=False)'s rule, per
                # device (that function asks the current device only); ROCm has it.
                bf16=props.major >= 8 or bool(torch.version.hip),
                catalog=key,
                peak_flops=peaks,
            )
        )
    return out


def _fake_device(gpu: gpu_inventory.Gpu, catalog: Catalog | None) -> Accelerator:
    """A GPU of ``PARETOLAB_FAKE_GPUS``, as CUDA would list it (a recent one: bf16)."""
    key, peaks = _match(catalog, gpu.name)
    return Accelerator("cuda", gpu.index, gpu.name, gpu.memory_total_gb, None, True, key, peaks)


def _mps_devices(torch: Any, catalog: Catalog | None) -> list[Accelerator]:
    if not torch.backends.mps.is_available():
        return []
    name = f"Apple {cpu_name()} GPU (MPS)"
    key, peaks = _match(catalog, name)
    # Unified memory: the GPU shares the machine's.
    return [
        Accelerator("mps", 0, name, psutil.virtual_memory().total / GB, None, False, key, peaks)
    ]


def usable_cores() -> int:
    """Logical cores this process may run on (its CPU affinity where the OS has one)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


def cpu_name() -> str:
    """The CPU's model name, e.g. ``AMD EPYC 7763 64-Core Processor``."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "CPU"


def hardware_problems(hardware: HardwareConfig, precision: str, machine: Machine) -> list[str]:
    """Why a run with these settings cannot train here, one message per field ([] if it can)."""
    acc = hardware.accelerator
    if acc in _KIND and not machine.count(_KIND[acc]):
        what = "no CUDA device" if acc == "gpu" else "no MPS device"
        return [
            f"hardware.accelerator={acc}: this machine has {what} (see `paretolab devices`); "
            "use cpu or auto"
        ]
    problems = []
    if hardware.strategy == "fsdp" and machine.resolve(acc) != "gpu":
        problems.append(
            f"hardware.strategy=fsdp needs NVIDIA GPUs, and this run would train on "
            f"{machine.resolve(acc)} here (hardware.accelerator={acc}); use ddp here"
        )
    most = machine.max_devices(acc)
    if hardware.devices > most:
        unit = {"cpu": "CPU core(s)", "gpu": "GPU(s)", "mps": "MPS device"}[machine.resolve(acc)]
        problems.append(
            f"hardware.devices={hardware.devices}: this machine has {most} {unit}; "
            f"use at most {most}"
        )
    allowed = machine.precisions(acc)
    if precision not in allowed:
        problems.append(
            f"trainer.precision={precision} is not supported {_WHERE[machine.resolve(acc)]}; "
            f"use {' or '.join(reversed(allowed))}"
        )
    return problems


def check_hardware(hardware: HardwareConfig, precision: str, machine: Machine | None = None) -> str:
    """The accelerator a run trains on here (``auto`` resolved).

    Raises:
        UserError: the machine lacks the accelerator or enough devices, or the device does
            not support the precision (the message names the field and the fix).
    """
    machine = machine or detect()
    problems = hardware_problems(hardware, precision, machine)
    if problems:
        raise UserError("; ".join(problems))
    return machine.resolve(hardware.accelerator)


def devices_table(machine: Machine) -> str:
    """``paretolab devices``: a fixed-width table, then what a run config may choose here."""
    header = ["DEVICE", "NAME", "MEMORY", "COMPUTE", "BF16", "CATALOG", "PEAK FLOP/S"]
    cpu_peak = _cpu_peak_text()
    cores = f"{machine.cpu_cores} cores" + (
        f" ({machine.cpu_physical_cores} physical)" if machine.cpu_physical_cores else ""
    )
    rows = [["cpu", f"{machine.cpu_name}, {cores}", f"{machine.memory_gb:.1f} GB", "-", "yes"]]
    rows[0] += ["cpu", cpu_peak]
    for a in machine.accelerators:
        rows.append(
            [
                f"{a.kind}:{a.index}",
                a.name,
                f"{a.memory_gb:.1f} GB" if a.memory_gb else "-",
                a.compute_capability or "-",
                "yes" if a.bf16 else "no",
                a.catalog or "not in the catalog",
                _peaks_text(a.peak_flops),
            ]
        )
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
        for row in [header, *rows]
    ]
    lines.append("")
    lines.append("a run here may use:")
    for acc in machine.accelerator_choices()[1:]:
        lines.append(
            f"  hardware.accelerator={acc}: hardware.devices up to {machine.max_devices(acc)}, "
            f"trainer.precision {', '.join(machine.precisions(acc))}"
        )
    lines.append(f"  hardware.accelerator=auto means {machine.resolve('auto')}")
    if machine.catalog_error:
        lines.append(f"hardware catalog: {machine.catalog_error}")
    elif any(a.kind == "cuda" and a.catalog is None for a in machine.accelerators):
        lines.append(
            "a GPU not in the catalog has no peak FLOP/s (no MFU) and no price: add it to your "
            "hardware.yaml (see `paretolab cost hardware`)"
        )
    return "\n".join(lines)


def _peaks_text(peaks: dict[str, float]) -> str:
    shown = [f"{dtype} {peaks[dtype]:.3g}" for dtype in ("bf16", "fp32") if dtype in peaks]
    return ", ".join(shown) or "-"


def _cpu_peak_text() -> str:
    from paretolab.costing.peaks import cached_cpu_peak

    try:
        configured = load_catalog().device("cpu").peak_flops.get("fp32")
    except UserError:
        configured = None
    if configured:
        return f"fp32 {configured:.3g} (your catalog)"
    measured = cached_cpu_peak()
    return f"fp32 {measured:.3g} (measured)" if measured else "measured at the first run"
