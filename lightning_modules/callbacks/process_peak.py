"""The peak FLOP/s one training process can reach, and the catalog entry it is costed on.

The peak comes from the hardware catalog (``paretolab.costing.peaks``); a CPU process held
to some of the machine's cores is credited with only their share of the CPU's peak.
"""

from __future__ import annotations

import logging
import os

import lightning.pytorch as pl
import torch

from paretolab.config import RunConfig
from paretolab.costing.catalog import Catalog, load_catalog
from paretolab.costing.peaks import peak_flops
from paretolab.errors import UserError

log = logging.getLogger(__name__)


def resolve_profile(config: RunConfig, catalog: Catalog, trainer: pl.Trainer) -> str | None:
    """The catalog entry a run is costed on: the configured one, else the one matching the
    GPU's name, else ``cpu`` on a CPU; None for a device the catalog does not know."""
    if config.hardware.profile != "auto":
        return config.hardware.profile
    device = trainer.strategy.root_device
    if device.type == "cuda":
        return catalog.match(torch.cuda.get_device_name(device))
    return "cpu" if device.type == "cpu" else None


def process_peak(config: RunConfig, trainer: pl.Trainer) -> tuple[float | None, str, str | None]:
    """This process's peak FLOP/s, where that figure came from, and the catalog entry (None
    with the reason when the device is not in the catalog)."""
    try:
        catalog = load_catalog()
        profile = resolve_profile(config, catalog, trainer)
        if profile is None:
            return None, "this device is not in the hardware catalog", None
        device = catalog.device(profile)
        value, source = peak_flops(device, config.trainer.precision)
        cores = os.cpu_count() or 1
        # This process's cores: its threads, at most its share of the machine's cores.
        per_process = cores / (trainer.world_size // trainer.num_nodes)
        used = min(torch.get_num_threads(), per_process)
        if device.kind == "cpu" and value and used < cores:
            # A process held to some of the cores can reach only their share of the peak.
            value *= used / cores
            source += f", × {used:g}/{cores} cores per process"
        return value, source, profile
    except UserError as exc:  # a catalog entry removed since launch: cost what we can
        log.warning("hardware catalog: %s", exc)
        return None, str(exc), None
