"""Training overhead: steps/s of a paretolab run against a hand-written PyTorch loop.

    python benchmarks/overhead.py [--quick] [--rows demo,small,gpu] [--steps N] [--warmup N0]
                                  [--reps R] [--compile] [--threads T] [--before]
                                  [--set KEY=VALUE ...]

Both sides train the same DecoderLM on the same in-memory token batches (AdamW, foreach):

(a) a plain loop: forward, cross-entropy, backward, clip, optimiser and scheduler step;
(b) the Trainer `paretolab train` builds (lightning_modules.run.trainers.build_trainer) with its
    callbacks, the store logger, W&B offline and the progress bar on;
(c) with ``--before``: (b) with Lightning's own hook dispatch, profiler and closure-driven
    step restored (what lightning_modules/run/lean_loop.py and lean_step.py replace), so the
    table shows what they gain in the same run.

Rows (each its own model size and goal for (b)/(a)):

- ``demo``: configs/shakespeare_char.yaml's model (4 layers, d_model 128, context 64, batch
  32) on the CPU, ~200 ms a step; goal ≥ 0.97 (issue 9);
- ``small``: the model sweeps and first tries train (1 layer, d_model 32, 2 heads, batch 8)
  on the CPU, 5–8 ms a step, where the studio's fixed cost per step shows; goal ≥ 0.90
  (issue 26);
- ``gpu``: the small model on a CUDA GPU, steps shorter still, so any host-device sync
  shows; goal ≥ 0.90. Without CUDA the row says "no GPU" and is skipped.

The two sides alternate in one process, R times each, so drift of a shared machine falls on
both. Only steps N0..N are timed (start-up, FLOP measurement and first-step allocations
excluded); on a GPU the clock synchronises at step N0 and at the end, so queued work counts.
Writes its table to benchmarks/results/.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import markdown_table, publish, remember_commit  # noqa: E402
from benchmarks.overhead_sides import (  # noqa: E402
    SMALL_MODEL,
    bench_config,
    paretolab_run,
    plain_loop,
)


@dataclass(frozen=True)
class Row:
    """One row of the table: a model size on a device, its default length and its goal."""

    label: str
    overrides: tuple[str, ...]
    steps: int
    warmup: int
    goal: float
    device: str = "cpu"


ROWS = {
    "demo": Row("demo size (4 layers, d_model 128, batch 32), CPU", (), 150, 30, 0.97),
    "small": Row("small (1 layer, d_model 32, batch 8), CPU", SMALL_MODEL, 800, 100, 0.90),
    "gpu": Row(
        "small (1 layer, d_model 32, batch 8), CUDA GPU", SMALL_MODEL, 800, 100, 0.90, "cuda"
    ),
}


def measure_row(row: Row, args, home: Path) -> dict[str, list[float]] | None:
    """Steps/s of each side (``plain``, ``lit``, with ``--before`` also ``before``), ``args.reps``
    alternating rounds; None without the row's device."""
    import torch

    if row.device == "cuda" and not torch.cuda.is_available():
        print(f"{row.label}: no GPU (CUDA is not available here), skipped")
        return None
    steps, warmup = args.steps or row.steps, args.warmup or row.warmup
    cfg = bench_config([*row.overrides, *args.overrides], steps, row.device)
    sides = ("plain", "lit", "before") if args.before else ("plain", "lit")
    measured: dict[str, list[float]] = {side: [] for side in sides}
    for rep in range(args.reps):
        # Alternate the order, so no side always runs on a warmer machine.
        for side in sides if rep % 2 == 0 else sides[::-1]:
            if side == "plain":
                speed = plain_loop(cfg, steps, warmup, args.compile)
            else:
                lean = side == "lit"
                speed = paretolab_run(cfg, steps, warmup, home, args.compile, lean=lean)
            measured[side].append(speed)
        print(
            f"{row.label}, rep {rep + 1}: "
            + ", ".join(f"{side} {measured[side][-1]:.1f} steps/s" for side in sides)
        )
    return measured


def table_row(row: Row, measured: dict[str, list[float]] | None, before: bool) -> list[str]:
    if measured is None:
        blank = ["", ""] if before else []
        return [
            row.label,
            "no GPU: CUDA is not available here",
            "",
            "",
            *blank,
            f"≥ {row.goal}",
            "",
        ]
    ratio, cells = ratio_cells(measured["plain"], measured["lit"])
    if before:
        cells += ratio_cells(measured["plain"], measured["before"])[1][1:]
    return [row.label, *cells, f"≥ {row.goal}", "yes" if ratio >= row.goal else "NO"]


def ratio_cells(plain: list[float], other: list[float]) -> tuple[float, list[str]]:
    """The median ratio of ``other``'s speed to the plain loop's over the pairs, and the
    cells: (a) ms/step, the other side's ms/step, the ratio with each pair's."""
    ratios = [b / a for a, b in zip(plain, other, strict=True)]
    ratio = statistics.median(ratios)
    cells = [
        f"{1000 / statistics.median(plain):.2f}",
        f"{1000 / statistics.median(other):.2f}",
        f"{ratio:.3f} (pairs: {', '.join(f'{r:.3f}' for r in ratios)})",
    ]
    return ratio, cells


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--quick", action="store_true", help="batch 8, 24 steps × 2 reps: a smoke check"
    )
    parser.add_argument("--rows", default="demo,small,gpu", help="which rows, comma-separated")
    parser.add_argument("--steps", type=int, default=None, help="default: the row's")
    parser.add_argument("--warmup", type=int, default=None, help="untimed first steps")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--compile", action="store_true", help="torch.compile on both sides")
    parser.add_argument(
        "--threads", type=int, default=None, help="torch's intra-op threads on both sides"
    )
    parser.add_argument(
        "--before",
        action="store_true",
        help="also (c): paretolab with Lightning's own dispatch and step, in the same rounds",
    )
    parser.add_argument("--set", dest="overrides", action="append", default=[])
    args = parser.parse_args()
    unknown = set(args.rows.split(",")) - set(ROWS)
    if unknown:
        parser.error(f"unknown row(s) {', '.join(sorted(unknown))}: choose from {', '.join(ROWS)}")
    if args.quick:
        args.steps, args.warmup, args.reps = 24, 4, 2
        args.overrides = ["data.batch_size=8", *args.overrides]
    remember_commit()
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    os.environ.setdefault("WANDB_SILENT", "true")
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    rows = []
    with tempfile.TemporaryDirectory(prefix="paretolab-bench-") as tmp:
        os.environ["PARETOLAB_HOME"] = tmp
        os.environ.pop("PARETOLAB_DB_URL", None)
        for name in args.rows.split(","):
            measured = measure_row(ROWS[name], args, Path(tmp))
            rows.append(table_row(ROWS[name], measured, args.before))
    header = ["model, device", "(a) plain ms/step", "(b) paretolab ms/step", "(b)/(a)"]
    if args.before:
        header += ["(c) with Lightning's dispatch and step, ms/step", "(c)/(a)"]
    header += ["goal", "met"]
    table = markdown_table(header, rows)
    notes = (
        f"(a) a hand-written torch loop; (b) the paretolab Trainer + store + W&B offline + "
        f"progress bar. {args.reps} alternating pairs per row; the first steps of each run "
        f"untimed; context {bench_config([], 1).data.max_length} tokens; compile={args.compile}; "
        f"overrides: {' '.join(args.overrides) or 'none'}; load average at the end "
        + " / ".join(f"{x:.2f}" for x in os.getloadavg())
        + "."
    )
    publish("overhead", table, notes, args.quick)
    return 0


if __name__ == "__main__":
    sys.exit(main())
