"""This host's NVIDIA GPUs as the queue sees them: index, name, memory in use, utilisation.

Read from NVML (``pynvml``, imported only when asked, so the core loads without it). When
``PARETOLAB_FAKE_GPUS`` is set, its JSON list replaces NVML — tests and machines without a
GPU use it to exercise the queue. Without NVML and without the variable the inventory is
empty, and the local executor schedules as it did before GPUs were counted.

Indices are NVML's, which are the ones ``CUDA_VISIBLE_DEVICES`` takes when
``CUDA_DEVICE_ORDER=PCI_BUS_ID`` (the executor sets it in every child it pins).

A GPU in MIG mode is listed as its MIG instances instead (CUDA cannot use the GPU itself
then): each is pinned by its UUID (``CUDA_VISIBLE_DEVICES=MIG-…``) and numbered
``(GPU index + 1) × 100 + instance`` (GPU 0's instances are 100, 101, …), the number the
store holds it by.
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
MIG_INDEX_BASE = 100  # a MIG instance's number: (its GPU's index + 1) × 100 + its own index


@dataclass(frozen=True)
class Gpu:
    """One GPU as it is now."""

    index: int
    name: str
    memory_total_gb: float
    memory_used_gb: float
    utilization_pct: float | None  # None where the driver does not report it
    uuid: str | None = None  # pinned by it where known: a MIG instance's "MIG-…"

    @property
    def is_mig(self) -> bool:
        """A MIG instance: one device per process (CUDA shows a process only one of them)."""
        return bool(self.uuid and self.uuid.startswith("MIG-"))

    @property
    def visible_as(self) -> str:
        """What ``CUDA_VISIBLE_DEVICES`` names it by: its UUID, else its index."""
        return self.uuid or str(self.index)

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
    fix = f"give a JSON list such as {_FAKE_EXAMPLE} (optional: used_gb, util, uuid)"
    try:
        items = json.loads(text)
        gpus = [
            Gpu(
                index=int(item["index"]),
                name=str(item["name"]),
                memory_total_gb=float(item["memory_gb"]),
                memory_used_gb=float(item.get("used_gb", 0.0)),
                utilization_pct=None if item.get("util") is None else float(item["util"]),
                uuid=None if item.get("uuid") is None else str(item["uuid"]),
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
            gpus.extend(_nvml_units(pynvml, index))
        except pynvml.NVMLError as exc:  # type: ignore[attr-defined]
            log.warning("GPU %d left out of the inventory: NVML says %s", index, exc)
    return gpus


def _nvml_units(pynvml: object, index: int) -> list[Gpu]:
    """GPU ``index``, or its MIG instances when it is in MIG mode."""
    handle = pynvml.nvmlDeviceGetHandleByIndex(index)  # type: ignore[attr-defined]
    if not _mig_enabled(pynvml, handle):
        return [_device(pynvml, handle, index)]
    instances = []
    for slot in range(pynvml.nvmlDeviceGetMaxMigDeviceCount(handle)):  # type: ignore[attr-defined]
        try:
            mig = pynvml.nvmlDeviceGetMigDeviceHandleByIndex(handle, slot)  # type: ignore[attr-defined]
        except pynvml.NVMLError:  # type: ignore[attr-defined]
            continue  # no instance in this slot
        uuid = _text(pynvml.nvmlDeviceGetUUID(mig))  # type: ignore[attr-defined]
        instances.append(_device(pynvml, mig, (index + 1) * MIG_INDEX_BASE + slot, uuid))
    return instances


def _mig_enabled(pynvml: object, handle: object) -> bool:
    try:
        current, _pending = pynvml.nvmlDeviceGetMigMode(handle)  # type: ignore[attr-defined]
    except pynvml.NVMLError:  # type: ignore[attr-defined]
        return False  # not a MIG-capable GPU
    return current == getattr(pynvml, "NVML_DEVICE_MIG_ENABLE", 1)


def _device(pynvml: object, handle: object, index: int, uuid: str | None = None) -> Gpu:
    memory = pynvml.nvmlDeviceGetMemoryInfo(handle)  # type: ignore[attr-defined]
    try:
        util = float(pynvml.nvmlDeviceGetUtilizationRates(handle).gpu)  # type: ignore[attr-defined]
    except pynvml.NVMLError:  # type: ignore[attr-defined]
        util = None  # not reported (MIG instances never report it)
    return Gpu(
        index=index,
        name=_text(pynvml.nvmlDeviceGetName(handle)),  # type: ignore[attr-defined]
        memory_total_gb=memory.total / GB,
        memory_used_gb=memory.used / GB,
        utilization_pct=util,
        uuid=uuid,
    )


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
