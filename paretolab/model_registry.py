"""Register runs as models and find registered versions (no torch).

A reference names a version the way every command takes it: ``NAME`` (the newest version
not archived), ``NAME:VERSION`` or ``NAME@ALIAS``. Registering records the lineage a
registry promises: the run and its config, its data (the dataset, or the user file's path
and SHA-256), the code commit, the metrics at registration, and the checkpoint's SHA-256,
so an export can tell whether the weights on disk are still the ones registered.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

from paretolab import __version__, settings
from paretolab.errors import UserError
from paretolab.files import file_sha256
from paretolab.init_check import checkpoint_path
from paretolab.store import RunStore
from paretolab.store.registry import LATEST, ModelRegistry
from paretolab.store.registry_entities import ModelVersion

_REPO = Path(__file__).resolve().parent.parent


def registry(store: RunStore | None = None) -> ModelRegistry:
    """The registry in ``store``'s database (default: the configured run store)."""
    return ModelRegistry((store or RunStore()).engine)


def parse_ref(ref: str) -> tuple[str, int | None, str | None]:
    """``NAME``, ``NAME:VERSION`` or ``NAME@ALIAS`` → (name, version, alias).

    Raises:
        UserError: a version that is not a positive whole number, or an empty part.
    """
    name, version, alias = ref, None, None
    if "@" in ref:
        name, alias = ref.split("@", 1)
    elif ":" in ref:
        name, number = ref.split(":", 1)
        if not number.isdigit() or int(number) < 1:
            raise UserError(f"{ref!r}: the version after ':' must be a number like {name}:3")
        version = int(number)
    if not name or alias == "":
        raise UserError(f"{ref!r}: name a model as NAME, NAME:VERSION or NAME@ALIAS")
    return name, version, alias


def resolve(ref: str, store: RunStore | None = None) -> ModelVersion:
    """The version ``ref`` names (``NAME`` alone: ``NAME@latest``).

    Raises:
        UserError: an unknown model, version or alias.
    """
    name, version, alias = parse_ref(ref)
    reg = registry(store)
    if version is not None:
        return reg.version(name, version)
    return reg.alias_version(name, alias or LATEST)


def register_run(
    run_id: int,
    name: str,
    checkpoint: str = "best",
    description: str = "",
    who: str | None = None,
    store: RunStore | None = None,
) -> ModelVersion:
    """Register run ``run_id``'s ``best`` or ``last`` checkpoint as the next version of
    ``name``, with its lineage.

    Raises:
        UserError: no such run, no such checkpoint, or a bad name.
    """
    store = store or RunStore()
    run = store.get_run(run_id)
    path = checkpoint_path(settings.run_dir(run_id), run_id, checkpoint, "", "--checkpoint")
    metrics = {
        key: metric.value
        for key, metric in sorted(store.latest_metrics(run_id).items())
        if key.startswith(("val_", "test_"))
    }
    lineage = {
        "run_name": run.name,
        "task": run.task,
        "config": run.config,
        "data": data_lineage(run.config.get("data", {})),
        "code_commit": code_commit(),
        "paretolab_version": __version__,
        "metrics": metrics,
    }
    return registry(store).register(
        name, run_id, checkpoint, str(path), file_sha256(path), lineage, description, who
    )


def data_lineage(data: dict[str, Any]) -> dict[str, Any]:
    """What a run trained on: the built-in dataset's name, or the user file with its
    SHA-256 (None for a folder of images, or a file that is gone)."""
    if data.get("dataset") != "file":
        return {"dataset": data.get("dataset")}
    path = Path(data.get("path") or "")
    digest = file_sha256(path) if path.is_file() else None
    return {"dataset": "file", "path": str(path), "sha256": digest}


def code_commit() -> str | None:
    """The git commit of the code registering the model (None outside a git checkout).

    Runs do not record the commit they trained with, so this is the code at registration.
    """
    try:
        done = subprocess.run(
            ["git", "-C", str(_REPO), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() or None if done.returncode == 0 else None


def checked_checkpoint(version: ModelVersion) -> Path:
    """The version's checkpoint file, checked against the SHA-256 recorded at registration.

    Raises:
        UserError: the file is missing or holds other weights than were registered.
    """
    path = Path(version.checkpoint_path)
    if not path.is_file():
        raise UserError(
            f"{version.ref}: its checkpoint {path} is missing (run {version.run_id}'s folder "
            "was deleted or moved); register another run or restore the file"
        )
    if file_sha256(path) != version.checkpoint_sha256:
        raise UserError(
            f"{version.ref}: {path} changed since it was registered (SHA-256 differs); "
            "register the run again to make a version of the weights now there"
        )
    return path
