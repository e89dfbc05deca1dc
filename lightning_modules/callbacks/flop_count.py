"""FLOPs of real batches: torch's FlopCounterMode, and the shapes the cost model needs.

``FlopCounterMode`` counts matrix products (and, on GPUs, the fused attention kernels) as
the model runs. torch registers no formula for the CPU kernel of
``scaled_dot_product_attention``, so on a CPU it would miss QKᵀ and softmax·V; we register
torch's own SDPA formulas for it, which makes the count the same on every device.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from torch.utils.flop_counter import FlopCounterMode, sdpa_backward_flop_count, sdpa_flop_count

from lightning_modules.pretrained.flops import (
    count_pretrained,
    pretrained_batch,
    pretrained_training_flops,
)
from paretolab.config import RunConfig
from paretolab.costing.flops import training_flops
from paretolab.costing.params import total_params
from paretolab.costing.shapes import BatchShape, ModelShape

_aten = torch.ops.aten


def _cpu_sdpa(
    query: Any, key: Any, value: Any, *args: Any, out_shape: Any = None, **kw: Any
) -> int:
    return sdpa_flop_count(query, key, value)


def _cpu_sdpa_backward(
    grad_out: Any, query: Any, key: Any, value: Any, *args: Any, out_shape: Any = None, **kw: Any
) -> int:
    return sdpa_backward_flop_count(grad_out, query, key, value)


CPU_ATTENTION_FLOPS = {
    _aten._scaled_dot_product_flash_attention_for_cpu: _cpu_sdpa,
    _aten._scaled_dot_product_flash_attention_for_cpu_backward: _cpu_sdpa_backward,
}


def count_flops(work: Callable[[], object]) -> int:
    """FLOPs ``work()`` performs, as FlopCounterMode counts them."""
    with FlopCounterMode(display=False, custom_mapping=CPU_ATTENTION_FLOPS) as counter:
        work()
    return counter.get_total_flops()


def count_training_flops(
    module: torch.nn.Module, batch: dict[str, torch.Tensor], backward: bool = True
) -> int:
    """Forward and backward FLOPs of one batch through a task module (``module(batch)``).

    The gradients are thrown away and the random state restored, so training goes on as
    if nothing had run. Call between optimiser steps (not inside an accumulation window).
    ``backward=False`` counts the forward pass only and returns 3 × it (backward = 2 ×
    forward): for a module wrapped in DDP, whose gradient hooks expect every backward to
    follow a forward through the wrapper.
    """
    params = [p for p in module.parameters() if p.requires_grad]
    device = getattr(module, "device", None)
    devices = [device] if device is not None and device.type == "cuda" else []
    with torch.random.fork_rng(devices=devices):

        def forward_backward() -> None:
            with torch.set_grad_enabled(backward):
                out = module(batch)
                first = out[0] if isinstance(out, tuple | list) else out  # MLM: (logits, labels)
                if backward:
                    first.float().sum().backward()

        flops = count_flops(forward_backward)
    for p in params:
        p.grad = None
    return flops if backward else 3 * flops


def task_shape(config: RunConfig, hparams: Any) -> ModelShape:
    """The model shape of a built task, with the sizes only the data knew (its hparams:
    vocabulary, classes, image shape, target vocabulary)."""
    vocab = hparams.get("vocab_size") or hparams.get("source_vocab") or 0
    image = hparams.get("image_shape")
    return ModelShape.from_config(
        config,
        vocab_size=int(vocab),
        num_classes=len(hparams.get("class_names") or []),
        image_shape=tuple(image) if image else None,
        target_vocab=int(hparams.get("target_vocab") or 0),
    )


def batch_shape(
    shape: ModelShape, batch: dict[str, torch.Tensor], exact: bool = False
) -> BatchShape:
    """What a batch feeds the model. ``exact`` also counts the masked positions of an MLM
    batch (a host sync: only for the one measured batch); otherwise the expected share."""
    if "pixels" in batch:
        return BatchShape(batch["pixels"].shape[0], shape.image_tokens)
    if "source" in batch:
        n, s = batch["source"].shape
        return BatchShape(n, s, target_len=batch["target_in"].shape[1])
    n, t = batch["input_ids"].shape
    predicted = None
    if exact and shape.head == "mlm":
        from lightning_modules.data.masking import IGNORE_INDEX

        predicted = int((batch["labels"] != IGNORE_INDEX).sum())
    return BatchShape(n, t, predicted=predicted)


def real_token_count(batch: dict[str, torch.Tensor]) -> int | torch.Tensor | None:
    """Non-padding tokens of a text batch: a host int where the shapes tell (language
    modelling's fixed windows), else a device tensor (no host sync); None for images."""
    if "source_mask" in batch:
        return batch["source_mask"].sum() + (batch["target_in"] != 0).sum()
    if "attention_mask" in batch:
        return batch["attention_mask"].sum()
    if "input_ids" in batch:  # language modelling: fixed windows, no padding
        return batch["input_ids"].numel()
    return None


@dataclass(frozen=True)
class FlopModel:
    """How a run's work is counted: what each batch feeds the model, its training FLOPs,
    the model's parameters, and what the count rests on (for ``cost.json``)."""

    batch: Callable[[dict[str, torch.Tensor], bool], BatchShape]
    """``(batch, exact)`` → its shape (``exact``: see ``batch_shape``)."""
    flops: Callable[[BatchShape], float]
    params: int
    basis: dict[str, Any]


def flop_model(config: RunConfig, task: torch.nn.Module) -> FlopModel:
    """The FLOP model of a built task: the cost model's shape for a model paretolab builds,
    the loaded model's own counts for a pretrained checkpoint (``pretrained.flops``)."""
    if config.model.is_pretrained():
        classifier = config.task in ("classification", "regression", "image_classification")
        counts = count_pretrained(task.model, sequence_head=classifier)
        return FlopModel(
            lambda b, exact: pretrained_batch(counts, b),
            lambda b: pretrained_training_flops(counts, b),
            counts.params_total,
            {"pretrained": counts.as_dict()},
        )
    return shape_flop_model(task_shape(config, task.hparams))


def shape_flop_model(shape: ModelShape) -> FlopModel:
    """The FLOP model of a from-scratch model: the cost model's exact formula on its shape."""
    return FlopModel(
        lambda b, exact: batch_shape(shape, b, exact),
        lambda b: training_flops(shape, b),
        total_params(shape),
        {"model_shape": dataclasses.asdict(shape)},
    )
