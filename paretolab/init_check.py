"""``model.init_from: N`` checked before a run is stored (no torch).

Run N must exist, be finished and still have the checkpoint asked for; otherwise the new
run would be recorded only to fail when training starts. Training checks again (the
source may be deleted in between) and then matches the weights
(``lightning_modules.run.init_from``).
"""

from __future__ import annotations

from pathlib import Path

from paretolab import settings
from paretolab.config import RunConfig
from paretolab.config.io import parse_config
from paretolab.config.pretrained import POOLED_TASKS
from paretolab.errors import RunNotFound, UserError
from paretolab.store import FINISHED, RunStore

_WHY_NOT = {
    "queued": "wait until it has trained and finished",
    "running": "wait until it finishes",
    "failed": "it did not finish training; pick a finished run",
    "cancelled": "it was stopped before the end of training; pick a finished run",
    "pruned": "its sweep stopped it early; pick a finished run",
}


def checkpoint_path(folder: Path, run_id: int, kind: str, field: str, option: str) -> Path:
    """The run folder's ``best`` or ``last`` checkpoint file.

    Args:
        folder: the run's (or a cross-validation fold's) folder.
        run_id: the run, for the message.
        kind: ``best`` or ``last``.
        field: how error messages name the request, e.g. ``model.init_from=3`` ("": not at all).
        option: the setting that picks the other checkpoint, for the hint.

    Raises:
        UserError: the checkpoint is missing, with a hint to the other one if it exists.
    """
    checkpoint = folder / "checkpoints" / f"{kind}.ckpt"
    if not checkpoint.is_file():
        other = "last" if kind == "best" else "best"
        hint = (
            f"use {option}={other}"
            if (folder / "checkpoints" / f"{other}.ckpt").is_file()
            else "its run folder has no checkpoints left"
        )
        prefix = f"{field}: " if field else ""
        raise UserError(f"{prefix}run {run_id} has no {kind} checkpoint ({checkpoint}); {hint}")
    return checkpoint


def check_init_from(config: RunConfig, store: RunStore) -> Path | None:
    """The checkpoint ``model.init_from`` starts from; None without init_from.

    Raises:
        UserError: no such run, it has not finished, or it lacks the checkpoint.
    """
    n = config.model.init_from
    if n is None:
        return None
    field = f"model.init_from={n}"
    try:
        run = store.get_run(n)
    except RunNotFound:
        raise UserError(
            f"{field}: no run {n} in the store; pick a finished run (`paretolab runs list`)"
        ) from None
    if run.status != FINISHED:
        raise UserError(f"{field}: run {n} is {run.status}, not finished; {_WHY_NOT[run.status]}")
    _check_pretrained_source(config, parse_config(run.config), field)
    kind = config.model.init_checkpoint
    return checkpoint_path(settings.run_dir(n), n, kind, field, "model.init_checkpoint")


def _check_pretrained_source(config: RunConfig, theirs: RunConfig, field: str) -> None:
    """A pretrained run starts from a run of the same checkpoint, fine-tuned the same way
    as to LoRA: a LoRA run saved its adapters only, which fit adapters only."""
    ours = config.model
    if not (ours.is_pretrained() or theirs.model.is_pretrained()):
        return
    if ours.pretrained != theirs.model.pretrained:
        raise UserError(
            f"{field}: that run fine-tuned {theirs.model.pretrained or 'a model of its own'}, "
            f"this one {ours.pretrained or 'a model of its own'}; start from a run of the same "
            "model.pretrained"
        )
    pooled = config.task in POOLED_TASKS and theirs.task in POOLED_TASKS
    if pooled and ours.pooling != theirs.model.pooling:
        raise UserError(
            f"{field}: that run's model.pooling is {theirs.model.pooling}, this one's "
            f"{ours.pooling}; the heads (and BERT's pooler) differ: use model.pooling="
            f"{theirs.model.pooling}, or export it (`paretolab export-model`) and set "
            "model.pretrained to the folder"
        )
    if (ours.finetune == "lora") != (theirs.model.finetune == "lora"):
        raise UserError(
            f"{field}: that run's finetune is {theirs.model.finetune}, this one's "
            f"{ours.finetune}; a LoRA run's checkpoint holds adapters only: use the same kind, "
            "or export it merged (`paretolab export-model`) and set model.pretrained to the folder"
        )
