"""Start a run from another run's weights (``model.init_from: N``), e.g. fine-tune a classifier
from a masked-LM pretraining run.

Two steps, both before training starts, every problem a ``UserError`` naming the field:

1. ``prepare_init_from`` (before the data is prepared): run N must exist, be finished and
   have the checkpoint asked for; its tokenizer files are copied into the new run's folder,
   so the new run tokenizes with the vocabulary the weights were trained on (its own
   ``tokenizer`` settings are then ignored).
2. ``InitSource.load_into`` (after the model is built): weights are matched by name,
   module by module (``model.encoder``, ``model.head``…). A module both models have must
   match tensor for tensor: a missing tensor or a different shape is an error naming it.
   Task heads (modules named ``…head``) are the exception: they load when every shape fits
   and otherwise start fresh, like modules only the new model has.
"""

from __future__ import annotations

import logging
import os
import shutil
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from paretolab import limits, settings
from paretolab.config import RunConfig
from paretolab.config.io import parse_config
from paretolab.errors import UserError
from paretolab.init_check import check_init_from, checkpoint_path
from paretolab.store import RunStore

log = logging.getLogger("paretolab.init_from")


@dataclass(frozen=True)
class InitSource:
    """A checked source run whose checkpoint a new run starts from."""

    run_id: int
    config: RunConfig
    checkpoint: Path

    @property
    def field(self) -> str:
        """How error messages name the setting."""
        return f"model.init_from={self.run_id}"

    def load_into(self, task: nn.Module, store: RunStore, run_id: int) -> tuple[int, int]:
        """Copy the checkpoint's fitting weights into ``task`` (a task with ``.config``) and
        note it on run ``run_id``.

        Returns:
            How many tensors were loaded and how many start fresh (the new task head).

        Raises:
            UserError: a shared module's tensor is missing or has another shape, the
                attention heads differ, or no weight fits at all.
        """
        saved = read_checkpoint(self.checkpoint)["state_dict"]
        own = task.state_dict()
        loaded = self._match(own, saved, task.config)
        self._check_heads(task.config)
        task.load_state_dict(loaded, strict=False)
        fresh = sorted({_module(k) for k in own.keys() - loaded.keys()})
        new = len(own) - len(loaded)
        line = (
            f"loaded {len(loaded)} tensors from run {self.run_id} "
            f"({self.checkpoint.stem} checkpoint); {new} new ({', '.join(fresh) or 'none'})"
        )
        log.info("%s: %s", self.field, line)
        notes = store.get_run(run_id).notes
        noted = f"{notes}\n\n{line}".strip()
        # Once per run (a resume loads again), and never past the notes' limit: the log
        # keeps the line either way, and a full notes box must not stop training.
        if line not in notes and len(noted) <= limits.MAX_NOTES_CHARS:
            store.set_notes(run_id, noted)
        return len(loaded), new

    def _match(
        self, own: dict[str, torch.Tensor], saved: dict[str, torch.Tensor], config: RunConfig
    ) -> dict[str, torch.Tensor]:
        """The saved tensors to load into ``own``'s keys (``config``: the new run's)."""
        if self.config.model.finetune == "lora":  # its checkpoint: the adapters and head only
            return self._match_adapters(own, saved)
        own_modules, saved_modules = _by_module(own), _by_module(saved)
        loaded: dict[str, torch.Tensor] = {}
        for module in [m for m in own_modules if m in saved_modules]:
            if module.endswith("head"):
                if all(_shape(own[k]) == _shape(saved.get(k)) for k in own_modules[module]):
                    loaded.update((k, saved[k]) for k in own_modules[module])
                continue
            problem = _first_difference(own, saved, own_modules[module], saved_modules[module])
            if problem:
                raise UserError(
                    f"{self.field}: {problem.format(n=self.run_id)}; {self._hint(config)}"
                )
            loaded.update((k, saved[k]) for k in own_modules[module])
        if not loaded:
            raise UserError(
                f"{self.field}: no weight of run {self.run_id} (a {self.config.model.family} "
                f"model with {', '.join(sorted(saved_modules))}) fits this model; start from a "
                "run of the same model.family"
            )
        return loaded

    def _match_adapters(
        self, own: dict[str, torch.Tensor], saved: dict[str, torch.Tensor]
    ) -> dict[str, torch.Tensor]:
        """Every adapter and head tensor of a LoRA run, each fitting this model's (the frozen
        rest is the same checkpoint's, read from its folder)."""
        for key, tensor in saved.items():
            if _shape(own.get(key)) != _shape(tensor):
                mine = "missing here" if key not in own else f"{_shape(own[key])} here"
                raise UserError(
                    f"{self.field}: {key} is {_shape(tensor)} in run {self.run_id} but "
                    f"{mine}; use run {self.run_id}'s model.lora settings"
                )
        return dict(saved)

    def _hint(self, config: RunConfig) -> str:
        """Which settings to change so the new model has run N's shapes."""
        theirs, ours = self.config, config
        fields = (
            ("model.d_model", theirs.model.d_model, ours.model.d_model),
            ("model.d_ff", theirs.model.ff_dim(), ours.model.ff_dim()),
            ("model.n_layers", theirs.model.n_layers, ours.model.n_layers),
            ("model.positional", theirs.model.positional, ours.model.positional),
            ("data.max_length", theirs.data.max_length, ours.data.max_length),
        )
        differ = [f"{name}={value}" for name, value, mine in fields if value != mine]
        if differ:
            return f"use {', '.join(differ)} as run {self.run_id}"
        return f"keep run {self.run_id}'s tokenizer.json in this run's folder"

    def _check_heads(self, config: RunConfig) -> None:
        """Attention weights are split by head without changing shape: compare the configs."""
        if config.model.n_heads != self.config.model.n_heads:
            raise UserError(
                f"{self.field}: run {self.run_id} has model.n_heads={self.config.model.n_heads}, "
                f"this config {config.model.n_heads}; use model.n_heads="
                f"{self.config.model.n_heads} (its attention weights are split by head)"
            )


def prepare_init_from(config: RunConfig, store: RunStore, run_dir: Path) -> InitSource | None:
    """Check ``model.init_from``'s run and copy its tokenizer into ``run_dir``.

    Returns:
        The source to load weights from once the model is built; None without init_from.

    Raises:
        UserError: no such run, it has not finished, or it lacks the checkpoint.
    """
    checkpoint = check_init_from(config, store)
    if checkpoint is None:
        return None
    n = config.model.init_from
    field = f"model.init_from={n}"
    folder = settings.run_dir(n)
    for tokenizer in sorted(folder.glob("*tokenizer.json")):
        # Temp file, then rename: the ranks of a DDP run may copy and read it at once.
        target = Path(run_dir) / tokenizer.name
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        shutil.copyfile(tokenizer, tmp)
        tmp.replace(target)
    log.info(
        "%s: starting from run %s's %s checkpoint with its tokenizer (this config's "
        "tokenizer settings are ignored)",
        field,
        n,
        config.model.init_checkpoint,
    )
    return InitSource(n, parse_config(store.get_run(n).config), checkpoint)


def find_checkpoint(folder: Path, run_id: int, kind: str, field: str, option: str) -> Path:
    """The run folder's ``best`` or ``last`` checkpoint (see ``paretolab.init_check``)."""
    return checkpoint_path(folder, run_id, kind, field, option)


def read_checkpoint(path: Path) -> dict:
    """A Lightning checkpoint's contents on the CPU, read without unpickling code
    (``weights_only``: tensors, numbers, strings and containers only)."""
    return torch.load(path, map_location="cpu", weights_only=True)


def _first_difference(
    own: dict[str, torch.Tensor],
    saved: dict[str, torch.Tensor],
    own_keys: list[str],
    saved_keys: list[str],
) -> str | None:
    """The first tensor (in model order) missing on one side or shaped differently, as a
    message with ``{n}`` for the source run; None when the module matches exactly."""
    for key in [*own_keys, *[k for k in saved_keys if k not in own]]:
        if key not in saved:
            return f"{key} exists here but not in run {{n}}"
        if key not in own:
            return f"{key} exists in run {{n}} but not here"
        if own[key].shape != saved[key].shape:
            return f"{key} is {_shape(saved[key])} in run {{n}} but {_shape(own[key])} here"
    return None


def _by_module(state: dict[str, torch.Tensor]) -> dict[str, list[str]]:
    """State-dict keys grouped by top-level module (``model.encoder``, ``model.head``…)."""
    modules: dict[str, list[str]] = defaultdict(list)
    for key in state:
        modules[_module(key)].append(key)
    return modules


def _module(key: str) -> str:
    """The top-level module of a state-dict key: ``model.encoder.blocks.0…`` → ``model.encoder``."""
    return ".".join(key.split(".")[:2])


def _shape(tensor: torch.Tensor | None) -> tuple[int, ...] | None:
    return None if tensor is None else tuple(tensor.shape)
