"""The two loops the overhead benchmarks time, on the same model, batches and optimiser.

(a) ``plain_loop``: a hand-written loop (forward, cross-entropy, backward, clip, optimiser and
scheduler step); (b) ``paretolab_run``: the Trainer `paretolab train` builds, with its callbacks,
the store logger, W&B offline and the progress bar (less any ``COMPONENTS`` asked). Both
stamp each step's end on a ``step_clock``. Used by benchmarks/overhead.py and
benchmarks/overhead_profile.py.
"""

from __future__ import annotations

import time
from pathlib import Path

CONFIG = "configs/shakespeare_char.yaml"
VOCAB = 65  # Shakespeare's characters
SMALL_MODEL = ("model.d_model=32", "model.n_layers=1", "model.n_heads=2", "data.batch_size=8")


def bench_config(overrides: list[str], steps: int, device: str = "cpu"):
    """The run config both sides train: the Shakespeare model, AdamW, no validation, on the
    CPU or (``device="cuda"``) a GPU."""
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
        f"hardware.accelerator={'gpu' if device == 'cuda' else 'cpu'}",
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
    pin = cfg.hardware.accelerator == "gpu"
    return DataLoader(
        Tokens(), batch_size=cfg.data.batch_size, shuffle=False, drop_last=True, pin_memory=pin
    )


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

    device = "cuda" if cfg.hardware.accelerator == "gpu" else "cpu"
    model = new_task(cfg, compile_model).model.to(device)
    opt = build_optimizer(model, cfg.optim)
    sched = build_scheduler(opt, steps, cfg.optim, None)
    clip = cfg.trainer.gradient_clip_val
    clock = clock or step_clock(warmup, device)
    model.train()
    for batch in token_loader(cfg, steps):
        ids, labels = (batch[k].to(device, non_blocking=True) for k in ("input_ids", "labels"))
        logits = model(ids)
        loss = F.cross_entropy(logits.flatten(0, 1), labels.flatten())
        opt.zero_grad(set_to_none=True)
        loss.backward()
        if clip:
            torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
        opt.step()
        sched.step()
        clock.tick()
    clock.finish()
    return steps_per_s(clock.stamps, warmup)


def step_clock(warmup: int = 0, device: str = "cpu"):
    """A Lightning callback that stamps the end of every training batch: wall time in
    ``.stamps``, the training thread's CPU time in ``.cpu`` (``tick()`` stamps by hand). On
    CUDA it waits for the device before the stamp that starts the timing (step ``warmup``)
    and at the end (``finish()``, or when training ends), so queued work is counted."""
    import lightning.pytorch as pl
    import torch

    sync = torch.cuda.synchronize if device == "cuda" else None

    class StepClock(pl.Callback):
        def __init__(self) -> None:
            self.stamps: list[float] = []
            self.cpu: list[float] = []

        def tick(self) -> None:
            if sync is not None and len(self.stamps) == warmup - 1:
                sync()
            self.stamps.append(time.perf_counter())
            self.cpu.append(time.thread_time())

        def finish(self) -> None:
            if sync is not None and self.stamps:
                sync()
                self.stamps[-1] = time.perf_counter()

        def on_train_batch_end(self, *args, **kwargs) -> None:
            self.tick()

        def on_train_end(self, *args, **kwargs) -> None:
            self.finish()

    return StepClock()


# What ``paretolab_run(without=...)`` can leave out, for the per-component profile
# (benchmarks/overhead_profile.py): logger or callback class names, or a config override.
COMPONENTS = {
    "store": "StoreLogger",
    "wandb": "ThrottledWandbLogger",
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
    lean: bool = True,
) -> float:
    """(b) The Trainer of `paretolab train`, its callbacks and loggers, on the same data
    (less the ``COMPONENTS`` named in ``without``; with ``profiler`` as Lightning's; stamped
    by ``clock`` when given; ``lean=False``: with Lightning's own hook dispatch and profiler,
    as before lightning_modules/run/lean_loop.py)."""
    from lightning_modules.run.trainers import build_trainer, make_loggers
    from paretolab.executors.training_process import prepare_run_dir
    from paretolab.store import RunStore

    store = RunStore(f"sqlite:///{home / 'paretolab.db'}")
    run = store.create_run(cfg.model_dump(mode="json"), "overhead", cfg.task)
    run_dir = prepare_run_dir(run)
    device = "cuda" if cfg.hardware.accelerator == "gpu" else "cpu"
    clock = clock or step_clock(warmup, device)
    dropped = {COMPONENTS[name] for name in without}
    loggers = [
        lg for lg in make_loggers(cfg, store, run.id, run_dir) if type(lg).__name__ not in dropped
    ]
    trainer = build_trainer(cfg, run_dir, loggers, [clock], progress_bar=True)
    trainer.callbacks = [c for c in trainer.callbacks if type(c).__name__ not in dropped]
    if not lean:
        restore_lightning_dispatch(trainer)
    if profiler is not None:
        trainer.profiler = profiler
    trainer.fit(new_task(cfg, compile_model), train_dataloaders=token_loader(cfg, steps))
    if COMPONENTS["wandb"] not in dropped and cfg.wandb.mode != "disabled":
        import wandb  # not needed (nor installed, on a lent GPU machine) with W&B off

        wandb.finish()  # one W&B run at a time, as `paretolab train` has
    return steps_per_s(clock.stamps, warmup)


def restore_lightning_dispatch(trainer) -> None:
    """Undo lightning_modules/run/lean_loop.py and lean_step.py on a built Trainer: every
    callback's and the module's no-op per-batch hooks called again, through Lightning's
    default profiler, and Lightning's own closure-driven step (for before/after rows in one
    run). The task's cheap ``_current_fx_name`` assignment (tasks/base.py) stays."""
    from lightning.pytorch.loops.optimization.automatic import _AutomaticOptimization
    from lightning.pytorch.profilers import PassThroughProfiler

    from lightning_modules.run.lean_loop import STEP_HOOKS, SkipModuleNoOpHooks

    epoch_loop = trainer.fit_loop.epoch_loop
    epoch_loop.automatic_optimization = _AutomaticOptimization(trainer)
    vars(epoch_loop).pop("_build_kwargs", None)
    trainer.profiler = PassThroughProfiler()
    trainer.callbacks = [c for c in trainer.callbacks if not isinstance(c, SkipModuleNoOpHooks)]
    for callback in trainer.callbacks:
        for hook in STEP_HOOKS:
            vars(callback).pop(hook, None)
