"""Serving cost, measured: ``paretolab bench serve [MODEL] [--threads N] [--quick]``.

With MODEL (``NAME[:VERSION|@ALIAS]``): that registered version of this paretolab home,
measured on eager PyTorch and ONNX Runtime (``lightning_modules.serving.bench``); the
figures are stored with the hardware and shown by ``paretolab models show`` and the cost
page. Without MODEL: the goal check. The BBC demo model (configs/bbc_demo.yaml; its shape
decides latency, so it trains only 30 steps) is trained and registered in a temporary home
and measured on 2 threads; the goal is ONNX Runtime's p50 at batch 1 ≤ 0.6 × PyTorch's.

Writes benchmarks/results/serving-<date>.md (serving-quick-… with --quick).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import markdown_table, publish, remember_commit, train_with_cli  # noqa: E402

GOAL = 0.6  # ONNX Runtime p50 / PyTorch p50 at batch 1, BBC demo model, 2 threads


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "model", nargs="?", help="NAME[:VERSION|@ALIAS] (default: the BBC demo goal check)"
    )
    parser.add_argument("--threads", type=int, default=None, help="CPU threads (goal check: 2)")
    parser.add_argument("--quick", action="store_true", help="few requests: check that it runs")
    args = parser.parse_args()
    remember_commit()
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    if args.model is None:
        home = Path(tempfile.mkdtemp(prefix="paretolab-serving-"))
        os.environ["PARETOLAB_HOME"] = str(home)
        os.environ.pop("PARETOLAB_DB_URL", None)
        steps = "trainer.max_steps=5" if args.quick else "trainer.max_steps=30"
        run_id, _ = train_with_cli(home, "configs/bbc_demo.yaml", [steps, "wandb.mode=disabled"])
        from paretolab import model_registry

        model_registry.register_run(run_id, "bbc-demo", "last", "serving benchmark")
        ref, threads = "bbc-demo", args.threads or 2
    else:
        ref, threads = args.model, args.threads
    from lightning_modules.serving.bench import bench_serving

    results = bench_serving(
        ref,
        threads=threads,
        requests=40 if args.quick else 300,
        seconds_per_batch=0.2 if args.quick else 1.0,
    )
    by_runtime = {r.runtime: r for r in results}
    rows = [
        [
            r.runtime,
            f"{r.p50_ms:.3f}",
            f"{r.p95_ms:.3f}",
            f"{r.p99_ms:.3f}",
            f"{r.throughput_rps:,.0f} (batch {r.best_batch})",
            f"{r.peak_memory_mb:,.0f}",
        ]
        for r in results
    ]
    table = markdown_table(
        [
            "runtime",
            "p50 ms (batch 1)",
            "p95 ms",
            "p99 ms",
            "requests/s at best batch",
            "peak RSS MB",
        ],
        rows,
    )
    ratio = by_runtime["onnx"].p50_ms / by_runtime["pytorch"].p50_ms
    verdict = "met" if ratio <= GOAL else "NOT met"
    notes = (
        f"Model {ref} on {results[0].hardware}. ONNX Runtime p50 / PyTorch p50 at batch 1: "
        f"{ratio:.2f} (goal ≤ {GOAL}: {verdict}). A request is one forward pass over one real "
        "val example of the run's data (padded as in training); latency over "
        f"{results[0].details['requests']} requests after a warm-up, the two runtimes taking "
        "turns call by call; throughput is the best of batch sizes 1–64, each timed for a "
        "fixed time, the runtimes taking turns at each size; peak RSS is the whole "
        "process's (both runtimes loaded) while that runtime runs batches of 64."
    )
    publish("serving", table, notes, quick=args.quick)
    return 0


if __name__ == "__main__":
    sys.exit(main())
