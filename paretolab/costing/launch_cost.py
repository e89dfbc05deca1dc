"""What a config will cost before it starts: the estimate of its training on its hardware
(the Launch page's preview, the budget guardrails), and the same for a sweep's trials.

The model's shape is the caller's (a built-in dataset's classes and image size live above
the core); ``cli_shape`` is the core's best guess, for the command line.
"""

from __future__ import annotations

from dataclasses import dataclass

from paretolab.budget_guard import Projected
from paretolab.config import RunConfig
from paretolab.costing.catalog import load_catalog
from paretolab.costing.estimate import estimate
from paretolab.costing.estimate_result import Estimate
from paretolab.costing.shape_sources import config_shape
from paretolab.costing.shapes import ModelShape, full_batch
from paretolab.devices import Machine
from paretolab.errors import UserError


@dataclass(frozen=True)
class CostPreview:
    """A config's training cost before it runs: the estimate, and the steps it covers."""

    steps: int
    steps_from_config: bool
    """True: ``trainer.max_steps``; False: ``steps_if_unset`` (the config trains by epochs)."""
    estimate: Estimate


def local_device(config: RunConfig, here: Machine) -> str:
    """The catalog entry of the device the config trains on ``here``: its first GPU's
    (``cpu`` when the catalog does not know that GPU), else ``cpu``."""
    if here.resolve(config.hardware.accelerator) == "gpu":
        # None when this machine has no CUDA device: admission refuses such a run, but its
        # cost is previewed first (budgets), at the CPU's price.
        return next((a.catalog for a in here.accelerators if a.kind == "cuda"), None) or "cpu"
    return "cpu"


def cost_preview(
    config: RunConfig, shape: ModelShape, here: Machine, steps_if_unset: int = 1000
) -> CostPreview:
    """What the config's training costs on its hardware profile (``auto``: the device it
    would get ``here``) at an assumed MFU: ``trainer.max_steps`` full-length batches, or
    ``steps_if_unset`` when it trains by epochs.

    Raises:
        UserError: the hardware profile is not in the catalog, or has no peak for the precision.
    """
    catalog = load_catalog()
    hardware = config.hardware.profile
    if hardware == "auto":
        hardware = local_device(config, here)
    t = config.trainer
    steps = t.max_steps if t.max_steps > 0 else steps_if_unset
    # Under DDP every rank takes a batch per step; a CPU's processes share one machine.
    world = config.hardware.world_size()
    batch_tokens = full_batch(shape, config.data.batch_size).tokens
    tokens = steps * t.accumulate_grad_batches * batch_tokens * world
    devices = config.hardware.num_nodes if catalog.device(hardware).kind == "cpu" else world
    found = estimate(
        catalog,
        shape,
        tokens,
        hardware,
        devices=devices,
        precision=t.precision,
        pricing=config.hardware.pricing,
        batch=config.data.batch_size,
        optimizer=config.optim.optimizer,
    )
    return CostPreview(steps, t.max_steps > 0, found)


def projected(preview: CostPreview, trials: int = 1, pruner_saving: float = 0.0) -> Projected:
    """The preview as a budget projection: × ``trials``, less the pruner's expected saving
    (a share of the trials' steps, stated as an assumption)."""
    keep = trials * (1.0 - pruner_saving)
    cost = preview.estimate.cost
    steps = "max_steps" if preview.steps_from_config else "assumed"
    basis = (
        f"{preview.steps:,} steps ({steps}) at MFU {preview.estimate.hardware.mfu:.0%} on "
        f"{preview.estimate.hardware.entry}"
    )
    if trials > 1:
        basis += f"; {trials} trials"
    if pruner_saving:
        basis += f", the pruner assumed to save {pruner_saving:.0%} of their steps"
    usd = cost.cost_usd * keep if cost.cost_usd is not None else None
    return Projected(usd, cost.device_hours * keep, basis)


def cli_projection(config: RunConfig, here: Machine, trials: int = 1) -> Projected | None:
    """The command line's projection of a config (None when the core cannot shape it)."""
    shape = cli_shape(config)
    if shape is None:
        return None
    try:
        return projected(cost_preview(config, shape, here), trials)
    except UserError:  # no price or peak for its hardware: the budgets see no projection
        return None


def cli_shape(config: RunConfig) -> ModelShape | None:
    """The config's shape as the core can know it: no classifier head's classes (a few
    parameters), no image size (None for a ViT, whose patches need it)."""
    if config.model.family == "vit":
        return None
    try:
        return config_shape(config)
    except UserError:
        return None
