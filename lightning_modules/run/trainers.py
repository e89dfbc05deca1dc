"""The Lightning Trainer a run config asks for, and the loggers a run writes through.

``build_trainer`` adds paretolab's callbacks (checkpoints, cancel, RNG state, cost, system
metrics) and DDP or FSDP settings (``distributed``, ``sharding``); ``build_tester`` the
trainer that tests.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import lightning.pytorch as pl
from lightning.pytorch.callbacks import Callback, EarlyStopping, ModelCheckpoint
from lightning.pytorch.loggers import Logger
from torch import nn

from lightning_modules.callbacks.artifacts import (
    ConfusionMatrixArtifact,
    PredictionsArtifact,
    ReportStepBudget,
)
from lightning_modules.callbacks.checkpoints import AtomicCheckpointIO, CheckpointOnCancel, RngState
from lightning_modules.callbacks.cost_tracking import CostTracker
from lightning_modules.callbacks.progress_bar import StoreProgressBar
from lightning_modules.callbacks.store_logger import StoreLogger
from lightning_modules.callbacks.system_metrics import SystemMetrics
from lightning_modules.callbacks.throttled_wandb import ThrottledWandbLogger
from lightning_modules.run import lean_step
from lightning_modules.run.cross_validation import fold_prefix
from lightning_modules.run.distributed import parallel_kwargs
from lightning_modules.run.lean_loop import (
    NoProfiler,
    SkipModuleNoOpHooks,
    skip_unused_step_hooks,
)
from lightning_modules.run.sharding import fsdp_strategy
from paretolab.config import RunConfig
from paretolab.devices import check_hardware
from paretolab.store import RunStore


def resolve_accelerator(cfg: RunConfig) -> str:
    """The accelerator Lightning will use, checked against this machine and the precision.

    Raises:
        UserError: the device does not exist here, there are fewer than
            ``hardware.devices``, it does not support the precision, or FSDP would run
            on a CPU (``devices.hardware_problems``, which admission checks as well).
    """
    return check_hardware(cfg.hardware, cfg.trainer.precision)


def build_trainer(
    cfg: RunConfig,
    run_dir: Path,
    loggers: list[Logger],
    extra_callbacks: list[Callback] | None = None,
    progress_bar: bool | None = None,
    model: nn.Module | None = None,
) -> pl.Trainer:
    """A Lightning Trainer for the config, checkpointing into ``run_dir/checkpoints``; with a
    progress bar when ``progress_bar`` says so (default: when stderr is a terminal).

    ``model``, the task's network, is needed with ``hardware.strategy: fsdp``: FSDP shards
    it by its Transformer block class.
    """
    t = cfg.trainer
    ckpt_dir = run_dir / "checkpoints"
    callbacks: list[Callback] = [
        ModelCheckpoint(
            dirpath=ckpt_dir,
            filename="best",
            monitor=t.monitor,
            mode=t.monitor_mode,
            save_top_k=1,
            save_last=True,
        ),
        CheckpointOnCancel(ckpt_dir),
        RngState(),
        ReportStepBudget(),
        ConfusionMatrixArtifact(run_dir / "confusion_matrix.json"),
        PredictionsArtifact(run_dir / "predictions.csv"),
        CostTracker(cfg, run_dir),
        SkipModuleNoOpHooks(),
        *(extra_callbacks or []),
    ]
    if cfg.monitoring.enabled:
        callbacks.append(SystemMetrics(cfg.monitoring.interval_s))
    show_progress = sys.stderr.isatty() if progress_bar is None else progress_bar
    if show_progress:
        callbacks.append(StoreProgressBar())
    if t.early_stopping:
        callbacks.append(
            EarlyStopping(
                monitor=t.monitor,
                mode=t.monitor_mode,
                patience=t.early_stopping.patience,
                min_delta=t.early_stopping.min_delta,
            )
        )
    parallel = parallel_kwargs(cfg.hardware)
    if cfg.hardware.strategy == "fsdp":
        if model is None:
            raise ValueError("build_trainer needs the model to shard with hardware.strategy=fsdp")
        parallel["strategy"] = fsdp_strategy(model)
    trainer = pl.Trainer(
        accelerator=resolve_accelerator(cfg),
        devices=parallel["devices"],
        num_nodes=parallel["num_nodes"],
        strategy=parallel["strategy"],
        precision=_lightning_precision(cfg),
        max_epochs=t.max_epochs,
        max_steps=t.max_steps,
        max_time={"minutes": t.max_time_minutes} if t.max_time_minutes else None,
        gradient_clip_val=t.gradient_clip_val,
        accumulate_grad_batches=t.accumulate_grad_batches,
        log_every_n_steps=t.log_every_n_steps,
        # Step-based validation counts batches across epochs, so an interval longer than an
        # epoch is valid too (Lightning needs check_val_every_n_epoch=None for that).
        check_val_every_n_epoch=None if t.val_every_n_steps else t.check_val_every_n_epoch,
        val_check_interval=t.val_every_n_steps,
        default_root_dir=run_dir,
        logger=loggers,
        callbacks=callbacks,
        plugins=[AtomicCheckpointIO(), *parallel.get("plugins", [])],
        enable_progress_bar=show_progress,
        profiler=NoProfiler(),  # Lightning's default, minus its per-hook generator
    )
    skip_unused_step_hooks(trainer.callbacks)  # with Lightning's own, added by the Trainer
    lean_step.install(trainer)
    return trainer


def _lightning_precision(cfg: RunConfig) -> str:
    return "32-true" if cfg.trainer.precision == "32" else cfg.trainer.precision


def build_tester(trainer: pl.Trainer, cfg: RunConfig, work_dir: Path) -> pl.Trainer:
    """The trainer that tests: the fit's own, or after a DDP or FSDP fit a one-device
    trainer on rank 0, so that every test example counts exactly once (DDP's sampler shards
    the test set and pads the shards with repeats) and the test artifacts see all of it."""
    if trainer.world_size == 1 and cfg.hardware.strategy != "fsdp":
        return trainer
    return pl.Trainer(
        accelerator=resolve_accelerator(cfg),
        devices=1,
        num_nodes=1,
        precision=_lightning_precision(cfg),
        default_root_dir=work_dir,
        logger=trainer.loggers,
        callbacks=[
            ConfusionMatrixArtifact(work_dir / "confusion_matrix.json"),
            PredictionsArtifact(work_dir / "predictions.csv"),
        ],
        plugins=[AtomicCheckpointIO()],
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
    )


def make_loggers(
    cfg: RunConfig,
    store: RunStore,
    run_id: int,
    run_dir: Path,
    fold: int | None = None,
    rank: int = 0,
) -> list[Logger]:
    """The store logger (writing on rank 0 only), plus W&B (offline by default: files in
    the run folder).

    For cross-validation fold ``fold`` the store keys get the fold's prefix, and W&B gets
    one run per fold, grouped under the run (W&B's own way to show k-fold runs).
    """
    prefix = fold_prefix(fold) if fold is not None else ""
    loggers: list[Logger] = [StoreLogger(store, run_id, prefix=prefix, rank=rank)]
    if cfg.wandb.mode != "disabled":
        os.environ.setdefault("WANDB_SILENT", "true")
        suffix = f"-fold{fold}" if fold is not None else ""
        loggers.append(
            ThrottledWandbLogger(
                min_interval_s=cfg.wandb.min_interval_s,
                project=cfg.wandb.project,
                name=cfg.display_name() + suffix,
                id=f"paretolab-{run_id}{suffix}",
                group=f"paretolab-{run_id}" if fold is not None else None,
                save_dir=str(run_dir),
                offline=cfg.wandb.mode == "offline",
                config=cfg.model_dump(mode="json"),
                log_model=False,
            )
        )
    return loggers
