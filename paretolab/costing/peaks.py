"""The peak FLOP/s a device is measured against (MFU's denominator).

GPUs: the catalog's datasheet figure for the run's dtype. CPUs have no datasheet figure we
can trust across machines, so it is measured: the best rate of repeated fp32 matrix
products (numpy's BLAS, every core), cached per host in the paretolab home. That is the
rate a dense layer can reach here — a practical peak, a little under the theoretical one.
On a busy machine a measurement reads low, so the best one seen is kept; to fix the figure,
set the ``cpu`` entry's ``peak_flops`` in your own catalog.
"""

from __future__ import annotations

import json
import os
import socket
import time
from pathlib import Path

import numpy as np

from paretolab import settings
from paretolab.costing.catalog import PRECISION_DTYPES, Catalog, Device
from paretolab.errors import UserError

CACHE_FILE = "cpu_peak.json"


def peak_flops(device: Device, precision: str = "32") -> tuple[float | None, str]:
    """Peak FLOP/s of one device at a run's precision, and where the figure comes from.

    Returns ``(None, reason)`` when the catalog has no figure for that dtype (e.g. bf16 on
    a T4).
    """
    dtype = PRECISION_DTYPES.get(precision, precision)
    if dtype in device.peak_flops:
        return device.peak_flops[dtype], f"{device.name} datasheet, {dtype} dense"
    if device.kind == "cpu":
        return measured_cpu_peak(), "measured on this host (fp32 matrix products)"
    return None, f"the catalog has no {dtype} peak for {device.name}"


def required_peak(catalog: Catalog, hardware: str, precision: str) -> tuple[Device, float, str]:
    """The catalog entry ``hardware`` with its peak FLOP/s at ``precision`` and the figure's
    source, for projections that cannot go on without one.

    Raises:
        UserError: an unknown entry, or no peak for the precision's dtype.
    """
    device = catalog.device(hardware)
    peak, source = peak_flops(device, precision)
    if peak is None:
        have = ", ".join(device.peak_flops) or "none"
        raise UserError(f"{source}; choose a dtype it has ({have})")
    return device, peak, source


_measured_here: dict[str, float] = {}  # once per process and home


def measured_cpu_peak(size: int = 512, seconds: float = 0.5) -> float:
    """This host's fp32 matmul rate in FLOP/s: the best measured so far on it.

    Measured once per process and kept (the best of all measurements) in the home, so a
    reading taken while the machine was busy is replaced by a better one later.
    """
    key = _host_key()
    path = settings.home_dir() / CACHE_FILE
    cached = _read_cache(path)
    if f"{path}|{key}" in _measured_here and key in cached:
        return float(cached[key])
    rate = max(_benchmark(size, seconds), float(cached.get(key, 0.0)))
    _measured_here[f"{path}|{key}"] = rate
    cached[key] = rate
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(cached), encoding="utf-8")
        os.replace(tmp, path)
    except OSError:  # a read-only home: measure again next time
        pass
    return rate


def cached_cpu_peak() -> float | None:
    """This host's best measured fp32 rate so far, without measuring; None if never measured."""
    value = _read_cache(settings.home_dir() / CACHE_FILE).get(_host_key())
    return float(value) if value else None


def _host_key() -> str:
    return f"{socket.gethostname()}/{os.cpu_count()}"


def _read_cache(path: Path) -> dict[str, float]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _benchmark(size: int, seconds: float) -> float:
    rng = np.random.default_rng(0)
    a = rng.standard_normal((size, size), dtype=np.float32)
    b = rng.standard_normal((size, size), dtype=np.float32)
    for _ in range(3):  # wake the BLAS threads up
        a @ b
    best = float("inf")
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        start = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - start)
    return 2.0 * size**3 / best
