"""Is a trainer's model sharded by FSDP, and clipping its gradients if so.

A leaf module (torch only): the tasks' training step and the cost callback ask it, while
``lightning_modules.run.sharding`` builds the strategy; the run package imports the tasks,
so the tasks must not import the run package back.
"""

from __future__ import annotations

from typing import Any


def is_sharded(module: Any) -> bool:
    """Whether ``module`` (a trainer's model) is wrapped by FSDP."""
    from torch.distributed.fsdp import FullyShardedDataParallel

    return isinstance(module, FullyShardedDataParallel)


def clip_sharded_gradients(module: Any, max_norm: float) -> None:
    """Clip the gradient norm of an FSDP-wrapped model: FSDP's own ``clip_grad_norm_``
    reduces the norm over every rank's shard (``torch.nn.utils.clip_grad_norm_`` would see
    this rank's shard only, which is why Lightning's FSDP precision refuses it)."""
    module.clip_grad_norm_(max_norm)
