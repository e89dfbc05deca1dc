"""Python calls per training step: a paretolab run against the plain loop, component by component.

    python benchmarks/overhead_calls.py [--steps N] [--from N0] [--to N1] [--set KEY=VALUE ...]

Wall-clock ratios need a quiet machine (benchmarks/overhead.py); this counts what a step
*does*, which load does not change: every Python function call on the training thread
between steps N0 and N1 (``sys.setprofile``), by package, for

- the hand-written loop (benchmarks/overhead_sides.py: forward, loss, backward, clip, step);
- the full paretolab Trainer (store logger, W&B offline, progress bar, cost tracking, system
  metrics, checkpoint callback);
- the same less each component, and less all of them (Lightning's own loop).

On the issue 26 small model (d_model 32, 1 layer, 2 heads, batch 8) by default. The run's
other threads (the system sampler, W&B's) are not counted: they are not on the step's path.
Writes its table to benchmarks/results/.
"""

from __future__ import annotations

import argparse
import collections
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import markdown_table, publish, remember_commit  # noqa: E402
from benchmarks.overhead_sides import (  # noqa: E402
    COMPONENTS,
    SMALL_MODEL,
    bench_config,
    paretolab_run,
    plain_loop,
    step_clock,
)

BEFORE = "paretolab, full, with Lightning's hook dispatch and step (before lean_loop and lean_step)"
# Where a call's code lives, by the first of these its file path contains.
PACKAGES = (
    "lightning_modules",
    "paretolab",
    "lightning/pytorch",
    "lightning_fabric",
    "torch/",
    "wandb",
    "tqdm",
    "sqlalchemy",
)


def package(filename: str) -> str:
    """The package a code object's file belongs to, or "standard library and other"."""
    return next((p.rstrip("/") for p in PACKAGES if p in filename), "standard library and other")


class CallCounter:
    """A step clock that counts the training thread's Python calls from step N0 to N1."""

    def __init__(self, first: int, last: int) -> None:
        self.clock = step_clock(1)
        self.first, self.last = first, last
        self.calls: collections.Counter[str] = collections.Counter()
        tick = self.clock.tick

        def counted_tick() -> None:
            tick()
            n = len(self.clock.stamps)
            # Set again at every step: a profile function is per thread, and one that
            # raised, or a library that set its own, would end the count unseen.
            if self.first <= n < self.last:
                sys.setprofile(self._profile)
            elif n == self.last:
                sys.setprofile(None)

        self.clock.tick = counted_tick

    def _profile(self, frame, event: str, arg) -> None:
        if event == "call":
            self.calls[package(frame.f_code.co_filename)] += 1

    def per_step(self) -> dict[str, float]:
        """Calls per step by package, and ``total``."""
        steps = self.last - self.first
        out = {name: n / steps for name, n in self.calls.items()}
        out["total"] = sum(self.calls.values()) / steps
        return out


def count(
    cfg, steps: int, args, home: Path, without: frozenset[str] | None, lean: bool = True
) -> dict[str, float]:
    """Calls per step of the plain loop (``without`` None) or of a paretolab run less
    ``without`` (``lean=False``: with Lightning's own hook dispatch and step)."""
    counter = CallCounter(args.first, args.last)
    if without is None:
        plain_loop(cfg, steps, 1, False, clock=counter.clock)
    else:
        paretolab_run(cfg, steps, 1, home, False, without, clock=counter.clock, lean=lean)
    return counter.per_step()


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--steps", type=int, default=400)
    parser.add_argument("--from", dest="first", type=int, default=200, help="first counted step")
    parser.add_argument("--to", dest="last", type=int, default=300, help="last counted step")
    parser.add_argument("--set", dest="overrides", action="append", default=[])
    args = parser.parse_args()
    if not 1 <= args.first < args.last <= args.steps:
        parser.error("need 1 ≤ --from < --to ≤ --steps")
    remember_commit()
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    os.environ.setdefault("WANDB_SILENT", "true")
    cfg = bench_config([*SMALL_MODEL, *args.overrides], args.steps)
    variants: dict[str, frozenset[str] | None] = {
        "plain loop": None,
        BEFORE: frozenset(),
        "paretolab, full": frozenset(),
        **{f"full less {name}": frozenset({name}) for name in COMPONENTS},
        "full less all six (Lightning's own loop)": frozenset(COMPONENTS),
    }
    rows, full = [], None
    with tempfile.TemporaryDirectory(prefix="paretolab-bench-") as tmp:
        os.environ["PARETOLAB_HOME"] = tmp
        os.environ.pop("PARETOLAB_DB_URL", None)
        plain = None
        for label, without in variants.items():
            calls = count(cfg, args.steps, args, Path(tmp), without, lean=label != BEFORE)
            plain = plain or calls["total"]
            full = calls["total"] if label == "paretolab, full" else full
            mine = calls.get("lightning_modules", 0) + calls.get("paretolab", 0)
            rows.append(
                [
                    label,
                    f"{calls['total']:.0f}",
                    f"{calls['total'] - plain:+.0f}",
                    ""
                    if full is None or without in (None, frozenset())
                    else f"{full - calls['total']:.0f}",
                    f"{calls.get('lightning/pytorch', 0):.0f}",
                    f"{mine:.0f}",
                    f"{calls.get('torch', 0):.0f}",
                ]
            )
            print(f"{label}: {calls['total']:.0f} calls a step", flush=True)
    header = [
        "variant",
        "Python calls a step",
        "beyond the plain loop",
        "the component's own (full − this)",
        "in Lightning",
        "in paretolab",
        "in torch",
    ]
    notes = (
        f"Training-thread Python function calls (sys.setprofile 'call' events) from step "
        f"{args.first} to {args.last} of {args.steps}, per step; the small model "
        f"({' '.join(SMALL_MODEL)}), overrides: {' '.join(args.overrides) or 'none'}. "
        "Counts, not times: the same on a busy or a quiet machine."
    )
    publish("overhead_calls", markdown_table(header, rows), notes)
    return 0


if __name__ == "__main__":
    sys.exit(main())
