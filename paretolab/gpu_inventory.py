"""This host's NVIDIA GPUs as the queue sees them: index, name, memory in use, utilisation.

Read from NVML (``pynvml``, imported only when asked, so the core loads without it). When
``PARETOLAB_FAKE_GPUS`` is set, its JSON list replaces NVML — tests and machines without a
GPU use it to exercise the queue. Without NVML and without the variable the inventory is
empty, and the local executor schedules as it did before GPUs were counted.

Indices are NVML's, which are the ones ``CUDA_VISIBLE_DEVICES`` takes when
``CUDA_DEVICE_ORDER=PCI_BUS_ID`` (the executor sets it in every child it pins).
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass

from paretolab.errors import UserError

log = logging.getLogger(__name__)

FAKE_GPUS_ENV = "PARETOLAB_FAKE_GPUS"
GB = 1e9
_FAKE_EXAMPLE = '[{"index": 0, "name": "NVIDIA H100", "memory_gb": 80}]'


@dataclass(frozen=True)
class Gpu:
    """One GPU as it is now."""

    index: int
    name: str
    memory_total_gb: float
    memory_used_gb: float
    utilization_pct: float | None  # None where the driver does not report it

    @property
    def memory_free_gb(self) -> float:
        """Memory no process holds yet."""
        return max(0.0, self.memory_total_gb - self.memory_used_gb)


def inventory() -> list[Gpu]:
    """The GPUs of this host, by index ([] without NVML and without ``PARETOLAB_FAKE_GPUS``).

    Raises:
        UserError: ``PARETOLAB_FAKE_GPUS`` is set but is not the JSON list it should be.
    """
    fake = os.environ.get(FAKE_GPUS_ENV, "").strip()
    if fake:
        return parse_fake(fake)
    return _nvml_gpus()


def parse_fake(text: str) -> list[Gpu]:
    """The GPUs a ``PARETOLAB_FAKE_GPUS`` value lists.

    Raises:
        UserError: not a JSON list of objects with index, name and memory_gb.
    """
    fix = f"give a JSON list such as {_FAKE_EXAMPLE} (optional: used_gb, util)"
    try:
        items = json.loads(text)
        gpus = [
            Gpu(
                index=int(item["index"]),
                name=str(item["name"]),
                memory_total_gb=float(item["memory_gb"]),
                memory_used_gb=float(item.get("used_gb", 0.0)),
                utilization_pct=None if item.get("util") is None else float(item["util"]),
            )
            for item in items
        ]
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise UserError(f"{FAKE_GPUS_ENV}: cannot read it ({exc}); {fix}") from None
    if len({g.index for g in gpus}) != len(gpus):
        raise UserError(f"{FAKE_GPUS_ENV}: two GPUs share an index; {fix}")
    return sorted(gpus, key=lambda g: g.index)


def _nvml_gpus() -> list[Gpu]:
    try:
        import pynvml
    except ImportError:
        return []
    try:
        pynvml.nvmlInit()
    except pynvml.NVMLError:  # no driver, no device: a CPU machine
        return []
    try:
        return _readable_gpus(pynvml)
    finally:
        pynvml.nvmlShutdown()


def _readable_gpus(pynvml: object) -> list[Gpu]:
    """Each GPU NVML can read now: one that fails ("GPU is lost") is left out, logged, so
    the others are still scheduled (the executor asks every second)."""
    try:
        count = pynvml.nvmlDeviceGetCount()  # type: ignore[attr-defined]
    except pynvml.NVMLError as exc:  # type: ignore[attr-defined]
        log.warning("NVML cannot count the GPUs: %s", exc)
        return []
    gpus = []
    for index in range(count):
        try:
            gpus.append(_nvml_gpu(pynvml, index))
        except pynvml.NVMLError as exc:  # type: ignore[attr-defined]
            log.warning("GPU %d left out of the inventory: NVML says %s", index, exc)
    return gpus


def _nvml_gpu(pynvml: object, index: int) -> Gpu:
    handle = pynvml.nvmlDeviceGetHandleByIndex(index)  # type: ignore[attr-defined]
    memory = pynvml.nvmlDeviceGetMemoryInfo(handle)  # type: ignore[attr-defined]
    try:
        util = float(pynvml.nvmlDeviceGetUtilizationRates(handle).gpu)  # type: ignore[attr-defined]
    except pynvml.NVMLError:  # type: ignore[attr-defined]
        util = None
    name = pynvml.nvmlDeviceGetName(handle)  # type: ignore[attr-defined]
    return Gpu(
        index=index,
        name=name.decode() if isinstance(name, bytes) else str(name),
        memory_total_gb=memory.total / GB,
        memory_used_gb=memory.used / GB,
        utilization_pct=util,
    )
