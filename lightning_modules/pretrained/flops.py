"""Training FLOPs of a fine-tuned Hugging Face model, counted from the loaded model itself.

The parameter counts are exact (the model's own tensors). Per token, with N the weights that
multiply every token (embedding tables are lookups and do no arithmetic, unless the output
layer shares them), A the LoRA adapters, T the weights that get gradients and B the frozen
weights below the lowest trained block (``paretolab.costing.finetune``):

    2·(N + A)  forward  +  2·(N + A − B)  activation gradients  +  2·T  weight gradients

plus attention over the sequence, 4·L·s·d forward (QKᵀ and the weighted sum) and twice that
backward in the blocks gradients flow through. Full fine-tuning is the usual 6·N; LoRA is
about 4·N, because the frozen weights get no weight gradients; freezing the lowest k blocks
saves both gradients below them. A classifier's head (BERT's pooler and classifier, a ViT's
classifier) sees one position per sequence, so its weights count 6·H per sequence, not per
token. Checked against FlopCounterMode in the tests.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import torch
from torch import nn

from lightning_modules.pretrained.finetune import block_list
from paretolab.costing.finetune import training_flops_per_token
from paretolab.costing.shapes import BatchShape


@dataclass(frozen=True)
class PretrainedCounts:
    """What a fine-tune's FLOPs rest on, counted on the model."""

    params_total: int
    """Every parameter, adapters included (what the run reports as ``cost/params``)."""
    params_trainable: int
    compute: int
    """N: the weights that multiply every token (adapters not included)."""
    adapter: int
    """A: LoRA adapter weights."""
    trainable_compute: int
    """T: trained weights that multiply every token (adapters included)."""
    frozen_below: int
    """B: frozen compute weights below the lowest trained block."""
    layers: int
    width: int
    """The attention's width (hidden size)."""
    trained_layers: int
    """Blocks at or above the lowest trained one (gradients flow through their attention)."""
    head: int = 0
    """H: a classifier's head weights, applied once per sequence."""
    image_tokens: int = 0
    """A ViT's patches + [CLS] per image (0 for text)."""

    def flops_per_token(self, seq_len: int, share: float = 1.0) -> float:
        """Training FLOPs per token at sequence length ``seq_len``; ``share``: the part of
        the weights a token goes through (an encoder-decoder's source or target: half)."""
        weights = share * training_flops_per_token(
            self.compute, self.trainable_compute, self.adapter, self.frozen_below
        )
        attention = 4.0 * self.layers * seq_len * self.width
        backward = 2.0 * attention * self.trained_layers / max(self.layers, 1)
        return weights + attention + backward

    def as_dict(self) -> dict[str, Any]:
        """The counts, for ``cost.json``."""
        return {**asdict(self), "formula": "2(N+A) + 2(N+A-B) + 2T per token, + attention"}


def count_pretrained(model: nn.Module, sequence_head: bool = False) -> PretrainedCounts:
    """The counts of a (possibly LoRA-wrapped) Hugging Face model; ``sequence_head``: a
    classifier, whose weights outside the blocks see one position per sequence."""
    params = {id(p): (name, p) for name, p in model.named_parameters()}
    blocks = list(block_list(model))
    in_blocks = {id(p) for b in blocks for p in b.parameters()}
    skip = _lookup_ids(model)
    head = {i for i in params if i not in in_blocks and i not in skip} if sequence_head else set()
    adapters = {i for i, (name, _) in params.items() if "lora_" in name} - head
    per_token = {i: p for i, (_, p) in params.items() if i not in skip and i not in head}
    compute = [p for i, p in per_token.items() if i not in adapters]
    lowest = next((k for k, b in enumerate(blocks) if _trains(b)), len(blocks))
    below = {id(p) for b in blocks[:lowest] for p in b.parameters()}
    config = getattr(model, "config", None)
    return PretrainedCounts(
        params_total=sum(p.numel() for _, p in params.values()),
        params_trainable=sum(p.numel() for _, p in params.values() if p.requires_grad),
        compute=sum(p.numel() for p in compute),
        adapter=sum(params[i][1].numel() for i in adapters),
        trainable_compute=sum(p.numel() for p in per_token.values() if p.requires_grad),
        frozen_below=sum(p.numel() for p in compute if id(p) in below),
        layers=len(blocks),
        width=int(getattr(config, "hidden_size", 0) or 0),
        trained_layers=len(blocks) - lowest,
        head=sum(params[i][1].numel() for i in head),
        image_tokens=_image_tokens(config),
    )


def pretrained_batch(counts: PretrainedCounts, batch: dict[str, torch.Tensor]) -> BatchShape:
    """What a batch feeds a pretrained model."""
    if "pixels" in batch:
        return BatchShape(batch["pixels"].shape[0], counts.image_tokens)
    if "source" in batch:  # an encoder-decoder
        n, s = batch["source"].shape
        return BatchShape(n, s, target_len=batch["target_in"].shape[1])
    n, t = batch["input_ids"].shape
    return BatchShape(n, t)


def pretrained_training_flops(counts: PretrainedCounts, b: BatchShape) -> float:
    """Training FLOPs of one batch. An encoder-decoder's source tokens go through its
    encoder and its target tokens through its decoder: about half the weights each (T5's
    stacks are alike; the decoder's cross-attention is left out)."""
    head = 6.0 * counts.head * b.sequences
    if b.target_len:
        source = b.sequences * b.seq_len * counts.flops_per_token(b.seq_len, 0.5)
        return (
            source + b.sequences * b.target_len * counts.flops_per_token(b.target_len, 0.5) + head
        )
    return b.tokens * counts.flops_per_token(b.seq_len) + head


def _lookup_ids(model: nn.Module) -> set[int]:
    """Embedding tables that only look tokens up (an output layer sharing one multiplies)."""
    tables = {id(m.weight) for m in model.modules() if isinstance(m, nn.Embedding)}
    output = model.get_output_embeddings() if hasattr(model, "get_output_embeddings") else None
    shared = getattr(output, "weight", None)
    return tables - ({id(shared)} if shared is not None else set())


def _trains(block: nn.Module) -> bool:
    return any(p.requires_grad for p in block.parameters())


def _image_tokens(config: Any) -> int:
    size, patch = getattr(config, "image_size", None), getattr(config, "patch_size", None)
    if not size or not patch:
        return 0
    side = size if isinstance(size, int) else size[0]
    return (side // patch) ** 2 + 1
