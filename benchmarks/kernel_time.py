"""Where GPU time goes: kernel times from torch's profiler, sorted by what each kernel does.

Used by the GPU benchmark (benchmarks/gpu.py) to show, next to each row's tokens/s, the
share of GPU time in matrix products, attention, Inductor's fused kernels, the optimiser
and the rest, and how busy the GPU was.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path


def kernel_kind(name: str) -> str:
    """Sort a GPU kernel into what the step spends time on, by its name. Inductor's own
    kernels come first: it names them after the ops they fuse, attention's included."""
    n = name.lower()
    if n.startswith("triton_"):
        return "fused (triton)"
    if any(s in n for s in ("flash", "fmha", "attention", "sdpa")):
        return "attention"
    if any(s in n for s in ("adam", "multi_tensor", "foreach")):
        return "optimiser"
    if any(s in n for s in ("gemm", "nvjet", "cutlass", "xmma", "cublas", "matmul")):
        return "matmul"
    return "other"


def time_shares(kernel_us: dict[str, float]) -> dict[str, float]:
    """Each kind's share of the total kernel time, from per-kernel microseconds."""
    total = sum(kernel_us.values()) or 1.0
    shares: dict[str, float] = {}
    for name, us in kernel_us.items():
        kind = kernel_kind(name)
        shares[kind] = shares.get(kind, 0.0) + us / total
    return shares


def profile_kernels(
    work: Callable[[], float], title: str, out_file: Path | None = None
) -> tuple[dict[str, float], float | None]:
    """Run ``work()`` (which returns its wall seconds) under torch's profiler; return each
    kernel kind's share of GPU time and the GPU's busy fraction (kernel time ÷ wall time),
    or ({}, None) where no GPU kernel ran. ``out_file`` gets the top 40 kernels."""
    import torch
    from torch.autograd import DeviceType
    from torch.profiler import ProfilerActivity, profile

    activities = [ProfilerActivity.CPU]
    if torch.cuda.is_available():
        activities.append(ProfilerActivity.CUDA)
    with profile(activities=activities) as prof:
        wall = work()
    kernel_us: dict[str, float] = {}
    for event in prof.events():
        # GPU-side annotations (such as Optimizer.step) span kernels already counted
        if event.device_type == DeviceType.CUDA and not event.is_user_annotation:
            kernel_us[event.name] = kernel_us.get(event.name, 0.0) + event.time_range.elapsed_us()
    if out_file is not None and kernel_us:
        top = sorted(kernel_us.items(), key=lambda kv: -kv[1])[:40]
        lines = [f"# {title} ({wall * 1e3:.1f} ms)"]
        lines += [f"{us / 1e3:9.2f} ms  {kernel_kind(n):15s} {n[:160]}" for n, us in top]
        out_file.write_text("\n".join(lines) + "\n")
    busy = sum(kernel_us.values()) / 1e6 / wall if kernel_us else None
    return time_shares(kernel_us), busy
