"""Does a run's training fit this machine's memory? Checked before the run is stored.

The cost model's training-memory estimate (``paretolab.costing.memory``: weights, gradients,
optimiser states and activations of one micro-batch) is compared with the memory the run
trains in: one GPU's (each DDP rank holds a full copy) — with the GPU inventory, the most
one GPU can give it now (``gpu_room``) — or the machine's for CPU and MPS (CPU ranks share
it). The GPU queue checks the same estimate against each GPU's free memory before it
starts a run there (``executors.gpu_queue``). Activations are counted as Korthikanti et al.'s "selective
recomputation" case (34·T·b·d·L bytes): the attention here is SDPA, which keeps no
(T × T) score matrices, so those terms of the no-recomputation count would refuse configs
that fit. The estimate leaves out the framework's own overhead and the data, so it is a
lower bound: a config refused here cannot train, one let through may still be tight. ``PARETOLAB_MEMORY_BYTES`` replaces the detected memory (tests, or a limit of
your own below the machine's).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

from paretolab import gpu_inventory
from paretolab.config import RunConfig
from paretolab.costing.finetune import config_finetune, finetune_counts, trainable_only
from paretolab.costing.memory import GB, TrainingMemory, training_memory
from paretolab.costing.params import total_params
from paretolab.costing.shape_sources import config_shape
from paretolab.costing.shapes import full_batch
from paretolab.devices import Machine
from paretolab.errors import UserError
from paretolab.memory_fixes import memory_fixes

MEMORY_ENV = "PARETOLAB_MEMORY_BYTES"
# Stand-ins where the data decides a size (not known before the data is read): the fewest
# classes a classifier has, and a ViT image of one patch. Both make the estimate smaller.
_CLASSES = 2


def memory_limit(
    config: RunConfig, machine: Machine, held_gpus: Callable[[], set[int]] = set
) -> tuple[float, str]:
    """The bytes one training process may use, and what they are (for the message);
    ``held_gpus`` gives the GPUs runs hold here (asked only where there are GPUs).

    Raises:
        UserError: ``PARETOLAB_MEMORY_BYTES`` is not a positive whole number.
    """
    override = os.environ.get(MEMORY_ENV, "").strip()
    if override:
        if not override.isdigit() or int(override) <= 0:
            raise UserError(f"{MEMORY_ENV}={override!r}: give a positive number of bytes")
        return float(override), f"{MEMORY_ENV}"
    if machine.resolve(config.hardware.accelerator) == "gpu":
        gpus = gpu_inventory.inventory()
        room = gpu_room(gpus, held_gpus()) if gpus else None
        if room is not None:
            return room
        gpus = [a.memory_gb for a in machine.accelerators if a.kind == "cuda" and a.memory_gb]
        if gpus:
            return min(gpus) * GB, "this machine's GPU"
    return machine.memory_gb * GB, "this machine's memory"


def gpu_room(gpus: list[gpu_inventory.Gpu], held: set[int]) -> tuple[float, str]:
    """The most memory a run can have on one of ``gpus`` (``held``: those runs hold).

    A GPU a paretolab run holds counts whole (the run ends and frees it: the new run waits in
    the queue); an unheld one counts what is free on it (another user's processes may use
    the rest, and nothing here frees it).
    """
    best = max(gpus, key=lambda g: g.memory_total_gb if g.index in held else g.memory_free_gb)
    if best.index in held:
        return best.memory_total_gb * GB, f"GPU {best.index} ({best.name}, once its run ends)"
    where = f"GPU {best.index}'s free memory ({best.name}, {best.memory_total_gb:,.1f} GB in all)"
    return best.memory_free_gb * GB, where


def training_estimate(config: RunConfig) -> TrainingMemory:
    """The config's training memory of one unsharded process, by part in GB: gradients and
    optimiser states for the trainable parameters only (a LoRA or frozen-layers fine-tune).
    """
    m = config.model
    image = (1, m.patch_size, m.patch_size) if m.family == "vit" else None
    shape = config_shape(config, num_classes=_CLASSES, image_shape=image)
    batch = full_batch(shape, config.data.batch_size)
    memory = training_memory(
        shape,
        config.data.batch_size,
        # Each stack at its own length: an encoder-decoder's source and target are equally
        # long here (full_batch), so one length serves both stacks' layers.
        max(batch.seq_len, batch.target_len),
        config.trainer.precision,
        config.optim.optimizer,
        config.optim.momentum,
    )
    how = config_finetune(config)
    if how is None or how.method == "full":
        return memory
    n = float(total_params(shape))
    return trainable_only(memory, finetune_counts(shape, n, how).trainable / n)


@dataclass(frozen=True)
class PerGpu:
    """What one training process (one GPU) holds, in GB."""

    model_gb: float  # weights, gradients, optimiser states: its shard of them under FSDP
    activations_gb: float
    sharded: bool

    @property
    def total_gb(self) -> float:
        """Everything the process holds."""
        return self.model_gb + self.activations_gb


def per_gpu(config: RunConfig, parts: TrainingMemory | None = None) -> PerGpu:
    """The memory one process needs: the one estimate the launch check and the GPU queue
    both use. Under FSDP each GPU holds its shard of the static parts (÷ world size) and,
    with every Transformer block checkpointed, only the blocks' inputs ("full"); else a
    full copy and "selective" activations.

    Raises:
        UserError: the cost model cannot estimate the model (``training_estimate``).
    """
    parts = parts or training_estimate(config)
    sharded = config.hardware.strategy == "fsdp"
    model = parts.static_gb / (config.hardware.world_size() if sharded else 1)
    return PerGpu(model, parts.activations_gb["full" if sharded else "selective"], sharded)


def memory_problems(
    config: RunConfig, machine: Machine, held_gpus: Callable[[], set[int]] = set
) -> list[str]:
    """Why the config's training cannot fit in this machine's memory ([] if it may);
    ``held_gpus`` as in ``memory_limit``."""
    limit, where = memory_limit(config, machine, held_gpus)
    try:
        one = per_gpu(config)
    except UserError:
        if config.model.is_pretrained():
            return []  # an architecture the cost model doesn't know; nothing to check it by
        raise
    sharded, model, activations = one.sharded, one.model_gb, one.activations_gb
    need = one.total_gb * GB
    acc = machine.resolve(config.hardware.accelerator)
    ranks = config.hardware.devices if acc == "cpu" else 1  # CPU ranks share the memory
    need *= ranks
    if need <= limit:
        return []
    fixes = memory_fixes(config, on_gpu=acc == "gpu", activations_heavy=activations > model)
    per = f" ({ranks} CPU processes of {need / GB / ranks:,.1f} GB)" if ranks > 1 else ""
    return [
        f"training this model needs about {need / GB:,.1f} GB{per} (weights, gradients and "
        f"optimizer {model:,.1f} GB{' per GPU, sharded' if sharded else ''}, activations {activations:,.1f} GB), more than the "
        f"{limit / GB:,.1f} GB of {where}; {fixes}"
    ]


def queue_estimate(config: dict) -> tuple[float | None, str]:
    """A stored config's memory per GPU in GB (``estimate_gb``), and what would make it fit
    (``memory_fixes``), for the GPU queue's refusal of a run larger than any GPU."""
    try:
        cfg = RunConfig.model_validate(config)
    except ValueError:  # pydantic's ValidationError
        return None, "lower data.batch_size"
    return estimate_gb(config), memory_fixes(cfg, on_gpu=True)


def estimate_gb(config: dict) -> float | None:
    """A stored config's training memory per GPU in GB, as ``per_gpu`` (None: the cost model
    cannot estimate it, e.g. a pretrained architecture it does not know)."""
    try:
        return per_gpu(RunConfig.model_validate(config)).total_gb
    except (UserError, ValueError):  # pydantic's ValidationError is a ValueError
        return None


def check_memory(config: RunConfig, machine: Machine) -> None:
    """Refuse a config whose training cannot fit in memory here.

    Raises:
        UserError: the estimate, the memory there is, and which fields to lower.
    """
    problems = memory_problems(config, machine)
    if problems:
        raise UserError(problems[0])
