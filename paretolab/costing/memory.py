"""Memory to train and to serve a model (EleutherAI, "Transformer Math 101"). No torch.

Training holds weights, gradients, optimiser states and activations:

- fp32: weights 4 + gradients 4 bytes per parameter; mixed precision (EleutherAI's
  convention): 16-bit weights 2 + gradients 2, and the optimiser keeps an fp32 copy (4);
- optimiser states: AdamW/Adam 8 (momentum + variance), SGD with momentum 4, RMSprop 4
  (+ 4 with momentum); so mixed-precision AdamW is 2 + 2 + 12 = 16 bytes per parameter;
- activations (Korthikanti et al. 2022, bytes for 16-bit activations, no tensor
  parallelism): none recomputed T·b·d·L·(34 + 5·H·T/d); selective recomputation
  T·b·d·L·34; full recomputation 2·T·b·d·L (only each layer's input is kept). fp32
  activations take twice that.

Serving holds the weights (× 1.2 for the runtime's overhead) and a KV cache of
2·L·T·n_kv_heads·head_dim values per sequence (2·L·T·d without grouped-query attention).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from paretolab.costing.params import total_params
from paretolab.costing.shapes import ModelShape

GB = 1e9
BYTES = {"fp32": 4, "tf32": 4, "bf16": 2, "fp16": 2, "int8": 1}
RECOMPUTATION = ("none", "selective", "full")


@dataclass(frozen=True)
class TrainingMemory:
    """Training memory of one process, in GB: the model's static parts, and activations for
    each recomputation choice (keys of ``activations_gb``: ``RECOMPUTATION``)."""

    weights_gb: float
    gradients_gb: float
    optimizer_gb: float
    activations_gb: Mapping[str, float]

    @property
    def static_gb(self) -> float:
        """Weights, gradients and optimiser states: what every recomputation choice keeps."""
        return self.weights_gb + self.gradients_gb + self.optimizer_gb

    def total_gb(self, recompute: str) -> float:
        """Static parts plus the activations kept under ``recompute``."""
        return self.static_gb + self.activations_gb[recompute]

    def to_dict(self) -> dict[str, float]:
        """The JSON form: ``weights_gb`` … then ``activations_<mode>_recompute_gb`` and
        ``total_<mode>_recompute_gb`` for each mode in ``RECOMPUTATION``."""
        out = {
            "weights_gb": self.weights_gb,
            "gradients_gb": self.gradients_gb,
            "optimizer_gb": self.optimizer_gb,
        }
        for mode in RECOMPUTATION:
            out[f"activations_{mode}_recompute_gb"] = self.activations_gb[mode]
            out[f"total_{mode}_recompute_gb"] = self.total_gb(mode)
        return out


@dataclass(frozen=True)
class ServingMemory:
    """Serving memory in GB: weights with the runtime's overhead, and the KV cache."""

    weights_gb: float
    kv_cache_gb: float

    @property
    def total_gb(self) -> float:
        """Weights plus KV cache."""
        return self.weights_gb + self.kv_cache_gb

    def to_dict(self) -> dict[str, float]:
        """The JSON form: ``weights_gb``, ``kv_cache_gb``, ``total_gb``."""
        return {
            "weights_gb": self.weights_gb,
            "kv_cache_gb": self.kv_cache_gb,
            "total_gb": self.total_gb,
        }


def optimizer_state_bytes(optimizer: str, momentum: float = 0.9) -> float:
    """Bytes of optimiser state per parameter (fp32 states)."""
    if optimizer in ("adamw", "adam"):
        return 8.0
    if optimizer == "sgd":
        return 4.0 if momentum > 0 else 0.0
    if optimizer == "rmsprop":
        return 4.0 + (4.0 if momentum > 0 else 0.0)
    if optimizer == "muon":  # one momentum buffer on the blocks' matrices (most parameters);
        return 4.0  # the AdamW-trained embeddings' extra 4 B/param are left out
    raise ValueError(f"unknown optimizer {optimizer!r}")


def activation_bytes(
    shape: ModelShape, batch: int, seq_len: int, recompute: str = "none", mixed: bool = True
) -> float:
    """Activation memory of one micro-batch across the layers (see the module docstring)."""
    if recompute not in RECOMPUTATION:
        raise ValueError(f"recompute must be one of {RECOMPUTATION}, got {recompute!r}")
    layers = shape.n_layers + shape.n_decoder_layers
    d, t = shape.d_model, seq_len
    base = t * batch * d * layers
    if recompute == "full":
        value = 2.0 * base
    elif recompute == "selective":
        value = 34.0 * base
    else:
        value = base * (34.0 + 5.0 * shape.n_heads * t / d)
    return value if mixed else 2.0 * value


def training_memory(
    shape: ModelShape,
    batch: int,
    seq_len: int | None = None,
    precision: str = "bf16-mixed",
    optimizer: str = "adamw",
    momentum: float = 0.9,
    params: float | None = None,
) -> TrainingMemory:
    """Training memory by part, in GB, with activations for each recomputation choice.

    Args:
        shape: the model.
        batch: sequences per micro-batch (per device).
        seq_len: tokens per sequence (default: ``max_len``).
        precision: ``32``, ``bf16-mixed`` or ``16-mixed``.
        optimizer: ``adamw``, ``adam``, ``sgd``, ``rmsprop`` or ``muon``.
        params: parameter count (default: counted from the shape).
    """
    n = total_params(shape) if params is None else params
    mixed = precision != "32"
    weights = 2.0 if mixed else 4.0
    states = optimizer_state_bytes(optimizer, momentum) + (4.0 if mixed else 0.0)
    t = seq_len or shape.train_len
    activations = {
        mode: activation_bytes(shape, batch, t, mode, mixed) / GB for mode in RECOMPUTATION
    }
    return TrainingMemory(
        weights_gb=n * weights / GB,
        gradients_gb=n * weights / GB,
        optimizer_gb=n * states / GB,
        activations_gb=MappingProxyType(activations),
    )


def serving_memory(
    shape: ModelShape,
    batch: int = 1,
    context: int | None = None,
    dtype: str = "bf16",
    params: float | None = None,
) -> ServingMemory:
    """Serving memory in GB: weights (× 1.2 overhead) and the KV cache for ``batch``
    sequences of ``context`` tokens."""
    n = total_params(shape) if params is None else params
    width = BYTES[dtype]
    t = context or shape.train_len
    layers = shape.n_layers + shape.n_decoder_layers
    return ServingMemory(
        weights_gb=1.2 * n * width / GB,
        kv_cache_gb=2.0 * layers * t * shape.kv_heads * shape.head_width * width * batch / GB,
    )
