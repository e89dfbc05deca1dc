"""FSDP for pretrained models that do not fit one device (``hardware.strategy: fsdp``).

Lightning's ``FSDPStrategy`` shards weights, gradients and optimiser states across the
run's GPUs. Each Transformer block of the Hugging Face model is one FSDP unit (its
parameters are gathered just before the block runs and freed after) and is checkpointed
(its activations recomputed in the backward pass): the block classes are the ones the model
itself names in ``_no_split_modules``, the list ``transformers`` uses to place a model
across devices without cutting a block.

Checkpoints are saved as a *full* state dict (Lightning gathers it on rank 0, offloaded to
CPU memory): one ``best.ckpt`` / ``last.ckpt`` file like any other run's, so testing,
resuming, ``init_from``, export, serving and attention views read it unchanged. Sharded
checkpoints (a folder per checkpoint) would save faster for multi-billion-parameter models
but nothing else in paretolab could read them.

Lightning refuses FSDP off a GPU (its accelerator connector: "The strategy `fsdp` requires a
GPU accelerator"), and torch's FSDP needs a device other than the CPU when it is given no
``device_id`` ("FSDP needs a non-CPU accelerator device"), which is what Lightning passes on
a CPU; so an FSDP run needs GPUs, and the config says so before a run is stored.
"""

from __future__ import annotations

from lightning.pytorch.strategies import FSDPStrategy
from torch import nn

from paretolab.errors import UserError


def block_classes(model: nn.Module) -> set[type[nn.Module]]:
    """The Transformer block classes of a Hugging Face model (a PEFT/LoRA model's too):
    those its ``_no_split_modules`` name, found among its own submodules.

    Raises:
        UserError: the model names none, or none of those it names is in it.
    """
    names: set[str] = set()
    for module in model.modules():  # a PeftModel wraps the PreTrainedModel that names them
        names.update(getattr(module, "_no_split_modules", None) or ())
    found = {type(m) for m in model.modules() if type(m).__name__ in names}
    if not found:
        raise UserError(
            f"hardware.strategy=fsdp: {type(model).__name__} names no Transformer block class "
            f"(transformers' _no_split_modules) to shard by; use ddp for this model"
        )
    return found


def fsdp_strategy(model: nn.Module) -> FSDPStrategy:
    """Lightning's FSDP strategy for ``model``: one FSDP unit and one activation checkpoint
    per Transformer block, full-state-dict checkpoints (see the module docstring)."""
    blocks = block_classes(model)
    return FSDPStrategy(
        auto_wrap_policy=blocks,
        activation_checkpointing_policy=blocks,
        state_dict_type="full",
        # Lightning's default too, said here because LoRA needs it: one FSDP unit may then
        # mix frozen and trained parameters, and the optimiser sees the model's own ones.
        use_orig_params=True,
    )
