"""Measure what serving a registered version costs on this machine, on eager PyTorch and
on ONNX Runtime: latency p50/p95/p99 at batch 1, throughput at the best batch size, and the
process's peak memory. Inputs are the run's real val examples; the two runtimes take turns
call by call, so the machine's busy moments fall on both.

A request here is one forward pass of the model (for language models and seq2seq, one
generated token costs one). The figures are stored with the hardware they came from
(``paretolab.store.serving_results``); ``bench serve`` and the cost page read them.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import numpy as np
import psutil

from lightning_modules.serving.export import load_version
from lightning_modules.serving.graph import real_batches
from lightning_modules.serving.runtime import RUNTIMES, open_runtime
from paretolab import model_registry
from paretolab.devices import cpu_name, usable_cores
from paretolab.store import RunStore
from paretolab.store.serving_results import ServingResult, ServingResults

BATCH_SIZES = (1, 2, 4, 8, 16, 32, 64)


def bench_serving(
    ref: str,
    threads: int | None = None,
    runtimes: tuple[str, ...] = RUNTIMES,
    requests: int = 300,
    seconds_per_batch: float = 1.0,
    store: RunStore | None = None,
) -> list[ServingResult]:
    """Measure and store the version's serving figures on each runtime (CPU).

    Args:
        threads: CPU threads each runtime may use (None: every usable core).
        requests: batch-1 requests timed for the latency percentiles (after a warm-up).
        seconds_per_batch: how long each batch size is timed for throughput.

    Raises:
        UserError: an unknown model, version or alias, or missing checkpoint files.
    """
    store = store or RunStore()
    version = model_registry.resolve(ref, store)
    run = load_version(version, store)
    threads = threads or usable_cores()
    batches = real_batches(run, sizes=(1,) * 16 + BATCH_SIZES)  # one data set-up for all
    singles, by_size = batches[:16], dict(zip(BATCH_SIZES, batches[16:], strict=True))
    hardware = f"{cpu_name()} × {threads} threads"
    opened = {name: open_runtime(name, run, version, store, threads) for name in runtimes}
    calls = {name: runtime.logits for name, runtime in opened.items()}
    latencies = _latencies(calls, singles, requests)
    throughput: dict[str, dict[int, float]] = {name: {} for name in calls}
    for size, batch in by_size.items():  # the runtimes take turns at each size
        for name, call in calls.items():
            throughput[name][size] = _throughput(call, batch, size, seconds_per_batch)
    results = []
    for name, call in calls.items():
        best = max(throughput[name], key=throughput[name].get)
        with PeakMemory() as memory:
            _throughput(call, by_size[BATCH_SIZES[-1]], BATCH_SIZES[-1], seconds_per_batch)
        result = ServingResult(
            runtime=name,
            device="cpu",
            hardware=hardware,
            threads=threads,
            p50_ms=float(np.percentile(latencies[name], 50)),
            p95_ms=float(np.percentile(latencies[name], 95)),
            p99_ms=float(np.percentile(latencies[name], 99)),
            best_batch=best,
            throughput_rps=throughput[name][best],
            peak_memory_mb=memory.peak_mb,
            details={"requests": requests, "throughput_by_batch": throughput[name]},
        )
        ServingResults(store.engine).add(version.model, version.version, result)
        results.append(result)
    return results


def _latencies(
    calls: dict[str, Callable], batches: list[tuple], requests: int
) -> dict[str, np.ndarray]:
    """Milliseconds per batch-1 call of each runtime, cycling through real examples after a
    warm-up. The runtimes alternate call by call (who goes first alternates too), so a
    busy moment of the machine falls on both, not on whichever ran then."""
    for call in calls.values():
        for batch in batches[: min(10, len(batches))]:
            call(batch)
    names = list(calls)
    out = {name: np.empty(requests) for name in names}
    for i in range(requests):
        batch = batches[i % len(batches)]
        for name in names if i % 2 == 0 else reversed(names):
            start = time.perf_counter()
            calls[name](batch)
            out[name][i] = (time.perf_counter() - start) * 1e3
    return out


def _throughput(call: Callable, batch: tuple, size: int, seconds: float) -> float:
    """Requests a second at batch ``size`` (timed for about ``seconds``, after a warm-up)."""
    call(batch)
    done, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds or done < 3:
        call(batch)
        done += 1
    return done * size / elapsed


class PeakMemory:
    """The process's peak resident memory (MB) while the block runs, sampled every 5 ms
    (both runtimes stay loaded: it is the serving process's peak at the largest batch)."""

    def __init__(self) -> None:
        self.peak_mb = 0.0
        self._stop = threading.Event()
        self._process = psutil.Process()

    def __enter__(self) -> PeakMemory:
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        while True:
            self.peak_mb = max(self.peak_mb, self._process.memory_info().rss / 2**20)
            if self._stop.wait(0.005):
                return
