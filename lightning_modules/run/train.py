"""The train entry point: ``python -m lightning_modules.run.train --run-id ID``.

Reads the run's config from the store, builds data, tokenizer and model, fits, tests
the best checkpoint, and leaves the run finished, failed or cancelled. Launchers start
this module as its own process; nothing in the UI depends on it staying alive. Under DDP
every rank runs it (see ``distributed``); rank 0 alone records the run and tests.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

import lightning.pytorch as pl
import torch
from lightning.pytorch.callbacks import Callback
from lightning.pytorch.loggers import WandbLogger

from lightning_modules.callbacks.store_logger import StoreLogger
from lightning_modules.data import build_data_module
from lightning_modules.pretrained.loading import write_provenance
from lightning_modules.run.cross_validation import ValidationRecord, cross_validate, fold_dir
from lightning_modules.run.distributed import (
    check_launcher,
    end_process_group,
    run_rank,
    slurm_job_id,
)
from lightning_modules.run.init_from import prepare_init_from
from lightning_modules.run.lifecycle import RunLifecycle
from lightning_modules.run.stop_signals import StopSignals
from lightning_modules.run.trainers import build_tester, build_trainer, make_loggers
from lightning_modules.tasks import build_task, write_samples
from paretolab import settings
from paretolab.config import RunConfig
from paretolab.config.io import dump_config, parse_config
from paretolab.errors import UserError
from paretolab.executors.training_process import prepare_run_dir
from paretolab.store import CANCELLED, FINISHED, QUEUED, RunStore

log = logging.getLogger("paretolab.train")

EXIT_CODES = {FINISHED: 0, QUEUED: 0, CANCELLED: 130}  # queued: a requeued Slurm job


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
    run = store.get_run(run_id)
    rank = run_rank(run.config)
    # Rank 0 owns the folder; the other ranks start once it exists (Lightning's launcher
    # starts them from rank 0's fit; a Slurm executor makes it before submitting).
    run_dir = prepare_run_dir(run) if rank == 0 else settings.run_dir(run_id)
    handler = _log_to_file(run_dir / ("train.log" if rank == 0 else f"train.rank{rank}.log"))
    lifecycle = RunLifecycle(store, run_id, run_dir, pruned_exceptions=pruned_exceptions, rank=rank)
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
        check_launcher(cfg.hardware)
        if lifecycle.rank == 0:
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
    if cfg.model.is_pretrained() and lifecycle.rank == 0:
        write_provenance(work_dir, cfg, task.model)  # the weights it starts from, hashed
    loggers = make_loggers(cfg, store, run_id, run_dir, fold, rank=lifecycle.rank)
    lifecycle.exit_hooks += [lg.flush for lg in loggers if isinstance(lg, StoreLogger)]
    uses_wandb = any(isinstance(lg, WandbLogger) for lg in loggers)
    if uses_wandb and _finish_wandb not in lifecycle.exit_hooks:
        lifecycle.exit_hooks.append(_finish_wandb)
    record = ValidationRecord()
    # SIGTERM under DDP, and SIGUSR1 in a Slurm job, stop at a step boundary (a fold of a
    # cross-validation is not requeued: such a run is trained again, not resumed).
    stops = StopSignals(work_dir / "checkpoints", slurm_job_id(run_id) if fold is None else None)
    trainer = build_trainer(
        cfg, work_dir, loggers, [*(extra_callbacks or []), record, stops], model=task.model
    )
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
    with stops:
        trainer.fit(task, datamodule=data, ckpt_path=resume_from)
    lifecycle.check_cancelled()
    sharded = cfg.hardware.strategy == "fsdp"
    if trainer.world_size > 1 or sharded:
        end_process_group()
        if not trainer.is_global_zero:
            return {}  # rank 0 tests alone
    # The best checkpoint by trainer.monitor; the current weights if validation never ran.
    best = trainer.checkpoint_callback.best_model_path if trainer.checkpoint_callback else ""
    if sharded:
        # The fitted task holds FSDP units (shards, on DDP ranks a group now gone): test a
        # fresh one with the full weights the checkpoint holds (last.ckpt: always saved).
        task = build_task(cfg, data)
        best = best or trainer.checkpoint_callback.last_model_path
    tester = build_tester(trainer, cfg, work_dir)
    results = tester.test(task, datamodule=data, ckpt_path=best or None, verbose=False)
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
    """Entry point; exit code 0 finished (or requeued), 130 cancelled, 1 failed, 2 bad input.

    A DDP rank other than 0 exits 0 unless it failed: a non-zero exit makes Lightning's
    launcher (and ``srun --kill-on-bad-exit``) kill rank 0, maybe before it records the end.
    """
    parser = argparse.ArgumentParser(prog="python -m lightning_modules.run.train")
    parser.add_argument("--run-id", type=int, required=True, help="id of a queued run in the store")
    args = parser.parse_args(argv)
    try:
        store = RunStore()
        rank = run_rank(store.get_run(args.run_id).config)
        status = run_training(store, args.run_id, raise_user_errors=True)
    except UserError as exc:
        print(f"paretolab: error: {exc}", file=sys.stderr)
        return 2
    code = EXIT_CODES.get(status, 1)
    return 0 if code == 130 and rank != 0 else code


if __name__ == "__main__":
    sys.exit(main())
