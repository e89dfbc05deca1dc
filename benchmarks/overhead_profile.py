"""Where a paretolab step's extra time goes: the overhead benchmark, one component at a time.

    python benchmarks/overhead_profile.py [--steps N] [--warmup N0] [--reps R] [--set KEY=VALUE ...]

Trains the overhead benchmark's model (benchmarks/overhead_sides.py; by default the issue 26 small
model: d_model 32, 1 layer, 2 heads, batch 8) as

- the hand-written loop;
- the full paretolab Trainer (store logger, W&B offline, progress bar, cost tracking, system
  metrics, checkpoint callback);
- the same less one component (each in turn), and less all of them;
- a bare Lightning Trainer (no logger, callback, checkpointing, progress bar or summary).

All variants alternate in one process, in a rotating order, R times each, so drift of a
shared machine falls on all of them. A component's cost is the median over reps of
(full − full without it) in ms per step, from the same rep. Then one full run is profiled:
Lightning's SimpleProfiler gives each callback hook's mean time per call, and torch's
profiler counts the host-device synchronisations (``aten::_local_scalar_dense``: ``.item()``,
``float(t)``, ``bool(t)``) per step. Writes its tables to benchmarks/results/.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import markdown_table, publish, remember_commit  # noqa: E402
from benchmarks.overhead_sides import (  # noqa: E402
    COMPONENTS,
    SMALL_MODEL,
    bench_config,
    new_task,
    paretolab_run,
    plain_loop,
    step_clock,
    token_loader,
)

LABELS = {
    "store": "store logger",
    "wandb": "W&B (offline)",
    "progress": "progress bar",
    "cost": "cost/throughput counting",
    "checkpoint": "checkpoint callback",
    "system": "system metrics thread",
}
SYNC_OPS = ("aten::_local_scalar_dense",)


def bare_lightning(cfg, steps: int, warmup: int, clock) -> None:
    """Lightning's own loop: no logger, no callback but the step clock, no checkpointing."""
    import lightning.pytorch as pl

    trainer = pl.Trainer(
        accelerator="cpu",
        devices=1,
        max_steps=steps,
        gradient_clip_val=cfg.trainer.gradient_clip_val,
        logger=False,
        callbacks=[clock],
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        default_root_dir=tempfile.mkdtemp(prefix="paretolab-bare-"),
    )
    trainer.fit(new_task(cfg, False), train_dataloaders=token_loader(cfg, steps))


def variants(cfg, args, home: Path) -> dict:
    """Variant name → a function of a ``step_clock()`` that trains, stamping it."""
    n, n0 = args.steps, args.warmup
    out = {
        "plain": lambda clock: plain_loop(cfg, n, n0, False, clock),
        "full": lambda clock: paretolab_run(cfg, n, n0, home, False, clock=clock),
        "bare Lightning": lambda clock: bare_lightning(cfg, n, n0, clock),
        "all ours off": lambda clock: paretolab_run(
            cfg, n, n0, home, False, frozenset(COMPONENTS), clock=clock
        ),
    }
    for name in COMPONENTS:
        out[f"no {name}"] = lambda clock, name=name: paretolab_run(
            cfg, n, n0, home, False, frozenset({name}), clock=clock
        )
    return out


def per_step_ms(stamps: list[float], warmup: int) -> float:
    return 1000 * (stamps[-1] - stamps[warmup - 1]) / (len(stamps) - warmup)


def ablation(cfg, args, home: Path) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """Wall and training-thread CPU ms per step of every variant, ``args.reps`` times each,
    in a rotating order."""
    runs = variants(cfg, args, home)
    names = list(runs)
    wall: dict[str, list[float]] = {name: [] for name in names}
    cpu: dict[str, list[float]] = {name: [] for name in names}
    for rep in range(args.reps):
        shift = rep % len(names)
        for name in names[shift:] + names[:shift]:
            clock = step_clock()
            runs[name](clock)
            wall[name].append(per_step_ms(clock.stamps, args.warmup))
            cpu[name].append(per_step_ms(clock.cpu, args.warmup))
        print(f"rep {rep + 1}: " + ", ".join(f"{k} {v[-1]:.2f}" for k, v in wall.items()))
    return wall, cpu


def ablation_table(wall: dict[str, list[float]], cpu: dict[str, list[float]]) -> str:
    """One row per component: its cost, full − full without it, paired by rep."""

    def delta(ms: dict[str, list[float]], a: str, b: str) -> str:
        diffs = sorted(x - y for x, y in zip(ms[a], ms[b], strict=True))
        return f"{statistics.median(diffs):+.2f} ({diffs[0]:+.2f} … {diffs[-1]:+.2f})"

    def row(label: str, a: str, b: str) -> list[str]:
        return [label, delta(wall, a, b), delta(cpu, a, b)]

    rows = [
        [
            "hand-written loop: ms/step",
            f"{statistics.median(wall['plain']):.2f}",
            f"{statistics.median(cpu['plain']):.2f}",
        ],
        [
            "full paretolab Trainer: ms/step",
            f"{statistics.median(wall['full']):.2f}",
            f"{statistics.median(cpu['full']):.2f}",
        ],
        row("**full − plain**", "full", "plain"),
    ]
    rows += [row(label, "full", f"no {name}") for name, label in LABELS.items()]
    rows.append(row("all six together", "full", "all ours off"))
    rows.append(row("our other callbacks + Trainer settings", "all ours off", "bare Lightning"))
    rows.append(row("Lightning's own loop (bare Trainer − plain)", "bare Lightning", "plain"))
    header = ["component", "wall ms/step: median (range)", "training-thread CPU ms/step"]
    return markdown_table(header, rows)


# Work outside Lightning's hook profiling, timed by wrapping it: (module, class, method).
TIMED = [
    ("lightning_modules.callbacks.store_logger", "StoreLogger", "log_metrics"),
    ("lightning_modules.callbacks.store_logger", "StoreLogger", "flush"),
    ("lightning.pytorch.loggers", "WandbLogger", "log_metrics"),
    ("lightning_modules.callbacks.system_metrics", "SystemMetrics", "_record"),
    (
        "lightning.pytorch.trainer.connectors.logger_connector.logger_connector",
        "_LoggerConnector",
        "on_batch_end",
    ),
    (
        "lightning.pytorch.trainer.connectors.logger_connector.logger_connector",
        "_LoggerConnector",
        "update_train_step_metrics",
    ),
]


def _timed(profiler, owner: type, method: str):
    original = getattr(owner, method)

    def wrapper(*args, **kwargs):
        with profiler.profile(f"[{owner.__name__}].{method}"):
            return original(*args, **kwargs)

    return original, wrapper


def hook_table(cfg, args, home: Path) -> str:
    """Time per step of each callback hook and module hook (Lightning's SimpleProfiler) and of
    the loggers and Lightning's per-step metric bookkeeping (``TIMED``), in one full run."""
    import importlib

    from lightning.pytorch.profilers import SimpleProfiler

    profiler = SimpleProfiler()
    patched = []
    for module, name, method in TIMED:
        owner = getattr(importlib.import_module(module), name)
        original, wrapper = _timed(profiler, owner, method)
        setattr(owner, method, wrapper)
        patched.append((owner, method, original))
    try:
        paretolab_run(cfg, args.steps, args.warmup, home, False, profiler=profiler)
    finally:
        for owner, method, original in patched:
            setattr(owner, method, original)
    rows = []
    for action, durations in profiler.recorded_durations.items():
        per_step = 1e6 * sum(durations) / args.steps
        if per_step >= 2 and not action.startswith("run_training_epoch"):
            rows.append((per_step, action, 1e6 * sum(durations) / len(durations), len(durations)))
    rows.sort(reverse=True)
    body = [[a[:90], f"{mean:.0f}", str(n), f"{ps:.0f}"] for ps, a, mean, n in rows]
    return markdown_table(["hook or call", "µs per call", "calls", "µs per step"], body)


def sync_counts(cfg, args, home: Path) -> str:
    """Host-device synchronisations per step, full Trainer and hand-written loop. On a CPU
    the optimiser's own (AdamW reads its step counters with ``.item()``) are in both."""
    from torch.profiler import ProfilerActivity, profile

    counts = {}
    for label, train in (
        ("hand-written loop", lambda: plain_loop(cfg, args.steps, args.warmup, False)),
        (
            "full paretolab Trainer",
            lambda: paretolab_run(cfg, args.steps, args.warmup, home, False),
        ),
    ):
        with profile(activities=[ProfilerActivity.CPU]) as prof:
            train()
        counts[label] = sum(e.count for e in prof.key_averages() if e.key in SYNC_OPS)
    extra = (counts["full paretolab Trainer"] - counts["hand-written loop"]) / args.steps
    rows = [[label, str(n), f"{n / args.steps:.2f}"] for label, n in counts.items()]
    rows.append(["paretolab − plain", "", f"{extra:+.2f}"])
    return markdown_table(["loop", "syncs (aten::_local_scalar_dense)", "per step"], rows)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--steps", type=int, default=400)
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--set", dest="overrides", action="append", default=[])
    args = parser.parse_args()
    remember_commit()
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    os.environ.setdefault("WANDB_SILENT", "true")
    cfg = bench_config([*SMALL_MODEL, *args.overrides], args.steps)
    with tempfile.TemporaryDirectory(prefix="paretolab-bench-") as tmp:
        os.environ["PARETOLAB_HOME"] = tmp
        os.environ.pop("PARETOLAB_DB_URL", None)
        wall, cpu = ablation(cfg, args, Path(tmp))
        hooks = hook_table(cfg, args, Path(tmp))
        syncs = sync_counts(cfg, args, Path(tmp))
    load = os.getloadavg()
    notes = (
        f"{args.reps} reps of every variant in a rotating order; steps {args.warmup}..{args.steps} "
        f"timed; batch {cfg.data.batch_size} × {cfg.data.max_length} tokens; load average at the "
        f"end {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f}.\n\n"
        f"## Hooks of one full run (Lightning SimpleProfiler)\n\n{hooks}\n\n"
        f"## Host-device synchronisations (torch profiler)\n\n{syncs}"
    )
    publish("overhead_profile", ablation_table(wall, cpu), notes)
    return 0


if __name__ == "__main__":
    sys.exit(main())
