"""The train entry point: ``python -m lightning_modules.train --run-id ID``.

Reads the run's config from the store, builds data, tokenizer and model, fits, tests
the best checkpoint, and leaves the run finished, failed or cancelled. Launchers start
this module as its own process; nothing in the UI depends on it staying alive.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

import lightning.pytorch as pl
import torch
from lightning.pytorch.callbacks import Callback, EarlyStopping, ModelCheckpoint, TQDMProgressBar
from lightning.pytorch.loggers import Logger, WandbLogger

from lightning_modules.callbacks import (
    AtomicCheckpointIO,
    CheckpointOnCancel,
    ConfusionMatrixArtifact,
    PredictionsArtifact,
    ReportStepBudget,
    RngState,
    StoreLogger,
)
from lightning_modules.cost_tracking import CostTracker
from lightning_modules.cross_validation import (
    ValidationRecord,
    cross_validate,
    fold_dir,
    fold_prefix,
)
from lightning_modules.data import build_data_module
from lightning_modules.init_from import prepare_init_from
from lightning_modules.lifecycle import RunLifecycle
from lightning_modules.system_metrics import SystemMetrics
from lightning_modules.tasks import build_task, write_samples
from paretolab.config import RunConfig
from paretolab.config_io import dump_config, parse_config
from paretolab.devices import check_hardware
from paretolab.errors import UserError
from paretolab.launcher import prepare_run_dir
from paretolab.store import CANCELLED, FINISHED, RunStore

log = logging.getLogger("paretolab.train")

EXIT_CODES = {FINISHED: 0, CANCELLED: 130}
# Redrawing the bar every step cost ~3 ms per step (tqdm, plus W&B's console capture).
PROGRESS_REFRESH_STEPS = 10


def resolve_accelerator(cfg: RunConfig) -> str:
    """The accelerator Lightning will use, checked against this machine and the precision.

    Raises:
        UserError: the device does not exist here, there are fewer than
            ``hardware.devices``, or it does not support the precision.
    """
    return check_hardware(cfg.hardware, cfg.trainer.precision)


def build_trainer(
    cfg: RunConfig,
    run_dir: Path,
    loggers: list[Logger],
    extra_callbacks: list[Callback] | None = None,
    progress_bar: bool | None = None,
) -> pl.Trainer:
    """A Lightning Trainer for the config, checkpointing into ``run_dir/checkpoints``; with a
    progress bar when ``progress_bar`` says so (default: when stderr is a terminal)."""
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
        *(extra_callbacks or []),
    ]
    if cfg.monitoring.enabled:
        callbacks.append(SystemMetrics(cfg.monitoring.interval_s))
    show_progress = sys.stderr.isatty() if progress_bar is None else progress_bar
    if show_progress:
        callbacks.append(TQDMProgressBar(refresh_rate=PROGRESS_REFRESH_STEPS))
    if t.early_stopping:
        callbacks.append(
            EarlyStopping(
                monitor=t.monitor,
                mode=t.monitor_mode,
                patience=t.early_stopping.patience,
                min_delta=t.early_stopping.min_delta,
            )
        )
    return pl.Trainer(
        accelerator=resolve_accelerator(cfg),
        devices=cfg.hardware.devices,
        precision="32-true" if t.precision == "32" else t.precision,
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
        plugins=[AtomicCheckpointIO()],
        enable_progress_bar=show_progress,
    )


def make_loggers(
    cfg: RunConfig, store: RunStore, run_id: int, run_dir: Path, fold: int | None = None
) -> list[Logger]:
    """The store logger, plus W&B (offline by default: files in the run folder).

    For cross-validation fold ``fold`` the store keys get the fold's prefix, and W&B gets
    one run per fold, grouped under the run (W&B's own way to show k-fold runs).
    """
    prefix = fold_prefix(fold) if fold is not None else ""
    loggers: list[Logger] = [StoreLogger(store, run_id, prefix=prefix)]
    if cfg.wandb.mode != "disabled":
        os.environ.setdefault("WANDB_SILENT", "true")
        suffix = f"-fold{fold}" if fold is not None else ""
        loggers.append(
            WandbLogger(
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


def run_training(
    store: RunStore,
    run_id: int,
    extra_callbacks: list[Callback] | None = None,
    raise_user_errors: bool = False,
    pruned_exceptions: tuple[type[BaseException], ...] = (),
) -> str:
    """Train the run to its end and return its final status (finished/failed/cancelled/pruned).

    With ``raise_user_errors``, a ``UserError`` that failed the run (bad input, e.g. a
    ``model.init_from`` that does not fit) is raised again once the failure is recorded,
    so the command line can exit with code 2. A sweep passes its pruning callback in
    ``extra_callbacks`` and the exception it raises in ``pruned_exceptions``: the run then
    ends ``pruned``, its metrics so far kept.
    """
    run_dir = prepare_run_dir(store.get_run(run_id))
    handler = _log_to_file(run_dir / "train.log")
    lifecycle = RunLifecycle(store, run_id, run_dir, pruned_exceptions=pruned_exceptions)
    try:
        _train(store, run_id, run_dir, lifecycle, extra_callbacks)
    finally:
        _detach_log(handler)
    if raise_user_errors and lifecycle.user_error is not None:
        raise lifecycle.user_error
    return lifecycle.final_status or "failed"


def _train(
    store: RunStore,
    run_id: int,
    run_dir: Path,
    lifecycle: RunLifecycle,
    extra_callbacks: list[Callback] | None,
) -> None:
    with lifecycle:
        cfg = parse_config(store.get_run(run_id).config)
        (run_dir / "config.yaml").write_text(dump_config(cfg), encoding="utf-8")
        if cfg.hardware.num_threads:
            torch.set_num_threads(cfg.hardware.num_threads)
        if not cfg.data.cv_folds:
            fit_and_test(cfg, store, run_id, run_dir, lifecycle, extra_callbacks)
            return

        def fit_fold(fold: int) -> dict[str, float]:
            return fit_and_test(cfg, store, run_id, run_dir, lifecycle, extra_callbacks, fold)

        cross_validate(
            store, run_id, run_dir, cfg.data.cv_folds, fit_fold, lifecycle.check_cancelled
        )


def fit_and_test(
    cfg: RunConfig,
    store: RunStore,
    run_id: int,
    run_dir: Path,
    lifecycle: RunLifecycle,
    extra_callbacks: list[Callback] | None = None,
    fold: int | None = None,
) -> dict[str, float]:
    """Build data, task and trainer; fit; test the best checkpoint.

    Args:
        fold: the cross-validation fold to train (see ``cross_validation``): the data
            module validates on it, files go to the fold's folder, metric keys get its prefix.

    Returns:
        The val metrics of the best epoch by ``trainer.monitor``, and the test metrics.
    """
    work_dir = run_dir if fold is None else fold_dir(run_dir, fold)
    work_dir.mkdir(parents=True, exist_ok=True)
    # Seeded per fit, so a fold's model does not depend on the folds trained before it.
    pl.seed_everything(cfg.trainer.seed, workers=True, verbose=False)
    init = prepare_init_from(cfg, store, work_dir)  # checks run N, copies its tokenizer
    data = build_data_module(cfg, work_dir)
    data.fold = fold
    data.setup("fit")
    lifecycle.check_cancelled()
    task = build_task(cfg, data)
    if init is not None:
        init.load_into(task, store, run_id)
    loggers = make_loggers(cfg, store, run_id, run_dir, fold)
    lifecycle.exit_hooks += [lg.flush for lg in loggers if isinstance(lg, StoreLogger)]
    uses_wandb = any(isinstance(lg, WandbLogger) for lg in loggers)
    if uses_wandb and _finish_wandb not in lifecycle.exit_hooks:
        lifecycle.exit_hooks.append(_finish_wandb)
    record = ValidationRecord()
    trainer = build_trainer(cfg, work_dir, loggers, [*(extra_callbacks or []), record])
    log.info(
        "run %s: training %s%s (%s parameters)",
        run_id,
        cfg.display_name(),
        "" if fold is None else f", fold {fold}",
        f"{sum(p.numel() for p in task.parameters()):,}",
    )
    # A resumed run (`paretolab runs resume`) finds its own last checkpoint in its folder:
    # a new run's folder never holds one (prepare_run_dir moves strangers' folders aside).
    last = work_dir / "checkpoints" / "last.ckpt"
    resume_from = last if fold is None and last.is_file() else None
    if resume_from:
        log.info("run %s: resuming from %s", run_id, resume_from)
    trainer.fit(task, datamodule=data, ckpt_path=resume_from)
    lifecycle.check_cancelled()
    # The best checkpoint by trainer.monitor; the current weights if validation never ran.
    best = trainer.checkpoint_callback.best_model_path if trainer.checkpoint_callback else ""
    results = trainer.test(task, datamodule=data, ckpt_path="best" if best else None, verbose=False)
    if cfg.task == "language_modeling":
        write_samples(
            task, data.tokenizer, cfg.generate, work_dir / "samples.txt", cfg.trainer.seed
        )
    if uses_wandb and fold is not None:
        _finish_wandb()  # so the next fold's logger starts its own W&B run
    return {**record.best(cfg.trainer.monitor, cfg.trainer.monitor_mode), **results[0]}


def _finish_wandb() -> None:
    import wandb

    wandb.finish()


_LOGGERS = ("", "lightning.pytorch", "lightning.fabric")


def _log_to_file(path: Path) -> logging.Handler:
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    for name in _LOGGERS:
        logging.getLogger(name).addHandler(handler)
    logging.getLogger().setLevel(logging.INFO)
    return handler


def _detach_log(handler: logging.Handler) -> None:
    for name in _LOGGERS:
        logging.getLogger(name).removeHandler(handler)
    handler.close()


def main(argv: list[str] | None = None) -> int:
    """Entry point; exit code 0 finished, 130 cancelled, 1 failed, 2 bad input."""
    parser = argparse.ArgumentParser(prog="python -m lightning_modules.train")
    parser.add_argument("--run-id", type=int, required=True, help="id of a queued run in the store")
    args = parser.parse_args(argv)
    try:
        status = run_training(RunStore(), args.run_id, raise_user_errors=True)
    except UserError as exc:
        print(f"paretolab: error: {exc}", file=sys.stderr)
        return 2
    return EXIT_CODES.get(status, 1)


if __name__ == "__main__":
    sys.exit(main())
