"""Training overhead: steps/s of a paretolab run against a hand-written PyTorch loop.

    python benchmarks/overhead.py [--quick] [--steps N] [--warmup N0] [--reps R] [--compile]
                                  [--set KEY=VALUE ...]

Both sides train the same DecoderLM (configs/shakespeare_char.yaml's model: 4 layers,
d_model 128, context 64, batch 32; AdamW, foreach) on the same in-memory token batches:

(a) a plain loop: forward, cross-entropy, backward, clip, optimiser and scheduler step;
(b) the Trainer `paretolab train` builds (lightning_modules.run.trainers.build_trainer) with its
    callbacks, the store logger, W&B offline and the progress bar on.

The two alternate in one process, R times each, so drift of a shared machine falls on both.
Only steps N0..N are timed (start-up, FLOP measurement and first-step allocations excluded).
Goal (issue 9): (b)/(a) ≥ 0.97. Writes its table to benchmarks/results/.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import markdown_table, publish, remember_commit  # noqa: E402

CONFIG = "configs/shakespeare_char.yaml"
VOCAB = 65  # Shakespeare's characters
GOAL = 0.97


def bench_config(overrides: list[str], steps: int):
    """The run config both sides train: the Shakespeare model, AdamW, no validation."""
    from paretolab.config.io import load_config

    fixed = [
        "optim.optimizer=adamw",
        "optim.decay_by_time=false",
        f"trainer.max_steps={steps}",
        "trainer.max_time_minutes=null",
        "trainer.val_every_n_steps=null",
        "trainer.check_val_every_n_epoch=1000",
        "trainer.early_stopping=null",
        "wandb.mode=offline",
        "hardware.accelerator=cpu",
    ]
    return load_config(Path(__file__).resolve().parents[1] / CONFIG, [*fixed, *overrides])


def token_loader(cfg, steps: int):
    """``steps`` batches of random tokens shaped like the config's (one epoch, no shuffle)."""
    import torch
    from torch.utils.data import DataLoader, Dataset

    g = torch.Generator().manual_seed(0)
    n, t = cfg.data.batch_size * steps, cfg.data.max_length
    tokens = torch.randint(0, VOCAB, (n, t + 1), generator=g)

    class Tokens(Dataset):
        def __len__(self) -> int:
            return n

        def __getitem__(self, i: int) -> dict:
            return {"input_ids": tokens[i, :-1], "labels": tokens[i, 1:]}

    # In-memory data: worker processes would only add IPC; pinning matters on CUDA only.
    return DataLoader(Tokens(), batch_size=cfg.data.batch_size, shuffle=False, drop_last=True)


def new_task(cfg, compile_model: bool):
    """The LanguageModelTask for the config, with the same seed on both sides (its network
    wrapped in ``torch.compile`` when asked)."""
    import torch

    from lightning_modules.tasks import LanguageModelTask

    torch.manual_seed(0)
    task = LanguageModelTask(cfg.model_dump(mode="json"), VOCAB)
    if compile_model:
        task.model = torch.compile(task.model)
    return task


def steps_per_s(stamps: list[float], warmup: int) -> float:
    """Steps/s over the steps after ``warmup``, from each step's end time."""
    return (len(stamps) - warmup) / (stamps[-1] - stamps[warmup - 1])


def plain_loop(cfg, steps: int, warmup: int, compile_model: bool, clock=None) -> float:
    """(a) A hand-written loop over the same model, optimiser, schedule and clipping
    (stamped by ``clock``, a ``step_clock()``, when given)."""
    import torch
    import torch.nn.functional as F

    from lightning_modules.optim import build_optimizer, build_scheduler

    model = new_task(cfg, compile_model).model
    opt = build_optimizer(model, cfg.optim)
    sched = build_scheduler(opt, steps, cfg.optim, None)
    clip = cfg.trainer.gradient_clip_val
    clock = clock or step_clock()
    model.train()
    for batch in token_loader(cfg, steps):
        logits = model(batch["input_ids"])
        loss = F.cross_entropy(logits.flatten(0, 1), batch["labels"].flatten())
        opt.zero_grad(set_to_none=True)
        loss.backward()
        if clip:
            torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
        opt.step()
        sched.step()
        clock.tick()
    return steps_per_s(clock.stamps, warmup)


def step_clock():
    """A Lightning callback that stamps the end of every training batch: wall time in
    ``.stamps``, the training thread's CPU time in ``.cpu`` (``tick()`` stamps by hand)."""
    import lightning.pytorch as pl

    class StepClock(pl.Callback):
        def __init__(self) -> None:
            self.stamps: list[float] = []
            self.cpu: list[float] = []

        def tick(self) -> None:
            self.stamps.append(time.perf_counter())
            self.cpu.append(time.thread_time())

        def on_train_batch_end(self, *args, **kwargs) -> None:
            self.tick()

    return StepClock()


# What ``paretolab_run(without=...)`` can leave out, for the per-component profile
# (benchmarks/overhead_profile.py): logger or callback class names, or a config override.
COMPONENTS = {
    "store": "StoreLogger",
    "wandb": "WandbLogger",
    "progress": "TQDMProgressBar",
    "cost": "CostTracker",
    "checkpoint": "ModelCheckpoint",
    "system": "SystemMetrics",
}


def paretolab_run(
    cfg,
    steps: int,
    warmup: int,
    home: Path,
    compile_model: bool,
    without: frozenset[str] = frozenset(),
    profiler=None,
    clock=None,
) -> float:
    """(b) The Trainer of `paretolab train`, its callbacks and loggers, on the same data
    (less the ``COMPONENTS`` named in ``without``; with ``profiler`` as Lightning's; stamped
    by ``clock`` when given)."""
    from lightning_modules.run.trainers import build_trainer, make_loggers
    from paretolab.executors.training_process import prepare_run_dir
    from paretolab.store import RunStore

    store = RunStore(f"sqlite:///{home / 'paretolab.db'}")
    run = store.create_run(cfg.model_dump(mode="json"), "overhead", cfg.task)
    run_dir = prepare_run_dir(run)
    clock = clock or step_clock()
    dropped = {COMPONENTS[name] for name in without}
    loggers = [
        lg for lg in make_loggers(cfg, store, run.id, run_dir) if type(lg).__name__ not in dropped
    ]
    trainer = build_trainer(cfg, run_dir, loggers, [clock], progress_bar=True)
    trainer.callbacks = [c for c in trainer.callbacks if type(c).__name__ not in dropped]
    if profiler is not None:
        trainer.profiler = profiler
    trainer.fit(new_task(cfg, compile_model), train_dataloaders=token_loader(cfg, steps))
    if "WandbLogger" not in dropped:
        import wandb

        wandb.finish()  # one W&B run at a time, as `paretolab train` has
    return steps_per_s(clock.stamps, warmup)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--quick", action="store_true", help="batch 8, 24 steps × 2 reps: a smoke check"
    )
    parser.add_argument("--steps", type=int, default=400)
    parser.add_argument("--warmup", type=int, default=50, help="untimed first steps")
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--compile", action="store_true", help="torch.compile on both sides")
    parser.add_argument("--set", dest="overrides", action="append", default=[])
    args = parser.parse_args()
    if args.quick:
        args.steps, args.warmup, args.reps = 24, 4, 2
        args.overrides = ["data.batch_size=8", *args.overrides]
    remember_commit()
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    os.environ.setdefault("WANDB_SILENT", "true")
    cfg = bench_config(args.overrides, args.steps)
    plain, lit = [], []
    with tempfile.TemporaryDirectory(prefix="paretolab-bench-") as tmp:
        os.environ["PARETOLAB_HOME"] = tmp
        os.environ.pop("PARETOLAB_DB_URL", None)
        for rep in range(args.reps):
            # Alternate which side goes first, so neither always runs on a warmer machine.
            order = ("plain", "lit") if rep % 2 == 0 else ("lit", "plain")
            for side in order:
                if side == "plain":
                    plain.append(plain_loop(cfg, args.steps, args.warmup, args.compile))
                else:
                    lit.append(paretolab_run(cfg, args.steps, args.warmup, Path(tmp), args.compile))
            print(f"rep {rep + 1}: plain {plain[-1]:.1f} steps/s, paretolab {lit[-1]:.1f}")
    ratios = [b / a for a, b in zip(plain, lit, strict=True)]
    ratio = statistics.median(ratios)
    header = ["loop", "steps/s (median)", "ms/step", "ratio to plain", "goal", "met"]
    p, q = statistics.median(plain), statistics.median(lit)
    rows = [
        ["(a) hand-written torch loop", f"{p:.1f}", f"{1000 / p:.2f}", "1.00", "", ""],
        [
            "(b) paretolab Trainer + store + W&B offline + progress bar",
            f"{q:.1f}",
            f"{1000 / q:.2f}",
            f"{ratio:.3f} (pairs: {', '.join(f'{r:.3f}' for r in ratios)})",
            f"≥ {GOAL}",
            "yes" if ratio >= GOAL else "NO",
        ],
    ]
    table = markdown_table(header, rows)
    notes = (
        f"{args.reps} alternating pairs; steps {args.warmup}..{args.steps} timed; batch "
        f"{cfg.data.batch_size} × {cfg.data.max_length} tokens; compile={args.compile}."
    )
    publish("overhead", table, notes, args.quick)
    return 0


if __name__ == "__main__":
    sys.exit(main())
