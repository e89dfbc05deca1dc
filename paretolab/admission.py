"""One way in for a run: every check before a run is stored, then the insert.

The CLI (``paretolab train``), the dashboard's launch page and a sweep's trials all admit a
run here, so a config refused by one is refused by the others with the same message, and
nothing is stored when it is refused. In order, the first check that finds problems stops:

0. the model's costing terms (``model.ffn`` …) are ones the from-scratch models train;
1. ``hardware.profile`` is in the hardware catalog;
2. the hardware: sent to Slurm, what a job can ask for; else the devices, the precision
   and the memory this machine has (``devices``, ``memory_fit``), and one node only;
3. ``model.init_from`` names a finished run with its checkpoint (``init_check``);
4. ``model.pretrained``: the checkpoint is found and fits the task (``pretrained_check``);
5. the user's own data file: inside the data roots (signed-in dashboard users,
   ``data_roots``), made absolute, and read once as training will (``data_check``).

Each caller keeps what is its own: the CLI's printing, the dashboard's access check, a
sweep's trial bookkeeping. The config arrives validated (a ``RunConfig``): parsing YAML,
a form or a trial's values is the caller's, with its own way of naming fields.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from paretolab import devices, memory_fit, settings
from paretolab.budget_guard import Projected, budget_uses, check_launch
from paretolab.config import RunConfig
from paretolab.costing.catalog import check_profile
from paretolab.data_check import check_data, with_absolute_data_path
from paretolab.data_roots import check_data_root
from paretolab.devices import Machine
from paretolab.errors import UserError
from paretolab.executors import slurm_script
from paretolab.init_check import check_init_from
from paretolab.pretrained_check import check_pretrained
from paretolab.store import Run, RunStore

DataReader = Callable[[RunConfig], str | None]
"""Reads a config's own data file as training will: a one-line summary, or UserError."""

MODEL, PROFILE, HARDWARE, INIT_FROM = "model", "hardware.profile", "hardware", "model.init_from"
PRETRAINED, DATA = "model.pretrained", "data"


@dataclass(frozen=True)
class Admission:
    """What the checks found: the config to store, or why it may not be stored."""

    config: RunConfig
    """The config as it is stored: a relative ``data.path`` made absolute."""
    problems: list[str] = field(default_factory=list)
    """One message per problem, each naming the field and the fix ([]: admitted)."""
    stage: str | None = None
    """Which check refused it (``MODEL``, ``PROFILE``, ``HARDWARE``, ``INIT_FROM``,
    ``PRETRAINED``, ``DATA``)."""
    data_summary: str | None = None
    """What the user's data file holds, in one line (None: a built-in dataset)."""


def hardware_problems(
    config: RunConfig,
    machine: Machine | None = None,
    on_slurm: bool | None = None,
    held_gpus: Callable[[], set[int]] = set,
) -> list[str]:
    """Why a config cannot train here (or, sent to Slurm, as a Slurm job), one message per
    field ([] if it can).

    Args:
        config: the run's config.
        machine: where it trains (None: this machine, detected when needed).
        on_slurm: whether Slurm trains it (None: ``PARETOLAB_EXECUTOR`` says).
        held_gpus: this host's GPUs runs hold (``RunStore.held_gpus``), asked only where
            there are GPUs (default: none held).
    """
    if on_slurm is None:
        on_slurm = settings.executor() == "slurm"
    if on_slurm:
        try:  # it trains on the cluster's nodes, not here
            slurm_script.check_config(config)
            slurm_script.SlurmOptions.from_env()
        except UserError as exc:
            return [str(exc)]
        return []
    machine = machine or devices.detect()
    problems = devices.hardware_problems(config.hardware, config.trainer.precision, machine)
    if not problems:  # the estimate needs the accelerator the config can have here
        try:
            problems = memory_fit.memory_problems(config, machine, held_gpus)
        except UserError as exc:  # PARETOLAB_MEMORY_BYTES is unreadable
            problems = [str(exc)]
    if config.hardware.num_nodes > 1:
        problems.insert(0, slurm_script.multi_node_refusal(config.hardware.num_nodes))
    return problems


def admission_problems(
    config: RunConfig,
    *,
    store: RunStore,
    machine: Machine | None = None,
    on_slurm: bool | None = None,
    data_base: Path | None = None,
    read_data: DataReader | None = check_data,
    data_roots: bool = False,
) -> Admission:
    """Run every check on ``config`` without storing anything (the dashboard's validate).

    Args:
        config: a validated config.
        store: the run store (``model.init_from`` must name one of its runs).
        machine: where it trains locally (None: this machine, detected when needed).
        on_slurm: whether Slurm trains it (None: ``PARETOLAB_EXECUTOR`` says).
        data_base: the folder a relative ``data.path`` is read from (None: the working one).
        read_data: reads the user's data file (None: not read here; a sweep's trials).
        data_roots: bound ``data.path`` to the data roots (a signed-in dashboard user).

    Returns:
        The config to store and, if it may not be stored, the first check's problems.
    """
    refusal = config.model.training_refusal()
    stages = (
        (MODEL, lambda: [refusal] if refusal else []),
        (PROFILE, lambda: _refusal(check_profile, config.hardware.profile)),
        (HARDWARE, lambda: hardware_problems(config, machine, on_slurm, store.held_gpus)),
        (INIT_FROM, lambda: _refusal(check_init_from, config, store)),
        (PRETRAINED, lambda: _refusal(check_pretrained, config)),
    )
    for stage, problems_of in stages:
        problems = problems_of()
        if problems:
            return Admission(config, problems, stage)
    try:
        return _check_data(config, data_base or Path.cwd(), read_data, data_roots)
    except UserError as exc:
        return Admission(config, [str(exc)], DATA)


def _refusal(check: Callable[..., object], *args: object) -> list[str]:
    """The check's UserError as a problem ([] when it passes)."""
    try:
        check(*args)
    except UserError as exc:
        return [str(exc)]
    return []


def _check_data(
    config: RunConfig, base: Path, read_data: DataReader | None, data_roots: bool
) -> Admission:
    config = with_absolute_data_path(config, base)
    if config.data.dataset != "file" or read_data is None:
        return Admission(config)
    if data_roots:  # before anything of the file is read
        check_data_root(config.data.path, Path.cwd())
    return Admission(config, data_summary=read_data(config))


def admit(
    config: RunConfig,
    *,
    store: RunStore,
    owner: str | None,
    launch_key: str | None = None,
    name: str | None = None,
    study: str | None = None,
    trial_number: int | None = None,
    on_data: Callable[[str], None] | None = None,
    projected: Projected | None = None,
    confirm_over_budget: bool = False,
    confirm_flag: str = "--confirm-over-budget",
    check_budgets: bool = True,
    **checks: Any,
) -> Run:
    """Check ``config`` (see ``admission_problems``) and store it as a queued run.

    Args:
        config: a validated config.
        store: the run store.
        owner: who the run belongs to.
        launch_key: makes the insert idempotent: admitting again with the same key returns
            the run the first call stored (a double-clicked launch button makes one run).
        name: the run's name (None: the config's display name).
        study: a sweep trial's study; ``trial_number`` its trial.
        trial_number: see ``study``.
        on_data: told the data file's one-line summary, when there is a file.
        projected: what the run is expected to cost, for its budgets (``budget_guard``);
            None: unknown (only a used-up budget stops it).
        confirm_over_budget: the launcher confirmed going past a soft budget (recorded).
        confirm_flag: how to confirm, for the refusal (the CLI's flag, the form's box).
        check_budgets: False for a sweep's trials: the sweep was checked at launch, and its
            workers check hard budgets between trials.
        **checks: ``machine``, ``on_slurm``, ``data_base``, ``read_data``, ``data_roots``.

    Raises:
        UserError: the first check's problems, joined by ``; `` (nothing is stored).
        OverBudget: past a hard budget, or a soft one without confirmation.
    """
    found = admission_problems(config, store=store, **checks)
    if found.problems:
        raise UserError("; ".join(found.problems))
    note = None
    if check_budgets:
        uses = budget_uses(store, owner, config.tags, projected)
        note = check_launch(uses, confirm_over_budget, confirm_flag)
    if found.data_summary and on_data is not None:
        on_data(found.data_summary)
    config = found.config
    return store.create_run(
        config.model_dump(mode="json"),
        name or config.display_name(),
        config.task,
        config.tags,
        config.notes,
        launch_key=launch_key,
        study=study,
        trial_number=trial_number,
        owner=owner,
        over_budget=None if note is None else f"confirmed by {owner or 'an unnamed user'}: {note}",
    )
