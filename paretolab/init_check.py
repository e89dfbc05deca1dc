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
    kind = config.model.init_checkpoint
    return checkpoint_path(settings.run_dir(n), n, kind, field, "model.init_checkpoint")
