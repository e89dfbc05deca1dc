"""What fine-tuning costs: full, LoRA, and frozen lower layers. No torch.

Training FLOPs per token, with N the model's (active) parameters, A the LoRA adapters',
T the trainable parameters (the adapters for LoRA, with anything else left trainable) and
B the frozen parameters below the lowest trainable layer (the embeddings included):

- forward: 2·(N + A) — every weight, the adapters' own matrices too;
- backward, activation gradients: 2·(N + A − B) — propagated down to the lowest trainable
  layer, no further;
- backward, weight gradients: 2·T — only trainable weights get them.

So full fine-tuning (T = N, A = B = 0) is the usual 6·N; LoRA on every layer (B = 0,
T = A) is (4·N + 6·A) ≈ 4·N, two-thirds of full fine-tuning; freezing the lowest k blocks
(A = 0, T = N − B) is 6·N − 4·B. Kaplan et al. 2020 (forward 2N, backward 4N) split per
term as in Hu et al. 2021 (LoRA). Attention over the context is scaled in the same ratio
by ``estimate``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Any

from paretolab.costing.estimate_result import Compute
from paretolab.costing.flops import pf_days
from paretolab.costing.memory import TrainingMemory
from paretolab.costing.params import block_params, model_params, non_embedding_params
from paretolab.costing.shapes import ModelShape
from paretolab.errors import UserError

METHODS = ("full", "freeze", "lora")
LORA_TARGETS = ("qv", "attention", "all")


def training_flops_per_token(
    params_total: float,
    params_trainable: float,
    params_adapter: float = 0.0,
    params_frozen_below: float = 0.0,
) -> float:
    """Training FLOPs per token of a fine-tune (see the module docstring):
    ``2·(N + A) + 2·(N + A − B) + 2·T``.

    Args:
        params_total: N, the model's parameters (active ones for a mixture of experts),
            adapters not included.
        params_trainable: T, the parameters that get weight gradients (adapters included).
        params_adapter: A, LoRA adapter parameters (0 without LoRA).
        params_frozen_below: B, frozen parameters below the lowest trainable layer.

    Raises:
        ValueError: counts that contradict each other.
    """
    n, t, a, b = params_total, params_trainable, params_adapter, params_frozen_below
    if min(n, t, a, b) < 0 or t > n + a or b > n:
        raise ValueError(f"inconsistent parameter counts N={n}, T={t}, A={a}, B={b}")
    return 2.0 * (n + a) + 2.0 * (n + a - b) + 2.0 * t


@dataclass(frozen=True)
class Finetune:
    """How a pretrained model is fine-tuned."""

    method: str = "full"
    """``full``, ``freeze`` (the lowest ``freeze_layers`` blocks and the embeddings frozen)
    or ``lora`` (adapters of rank ``lora_rank`` on ``lora_targets``; the base frozen)."""
    freeze_layers: int = 0
    lora_rank: int = 16
    lora_targets: str = "qv"
    """``qv`` (PEFT's default for Llama), ``attention`` (Q, K, V, O) or ``all`` (every
    linear layer of the blocks)."""


@dataclass(frozen=True)
class FinetuneCounts:
    """The parameter counts a fine-tune's cost rests on."""

    trainable: float
    adapter: float
    frozen_below: float
    flops_per_token: float

    def to_dict(self, method: Finetune) -> dict[str, float | str]:
        """The JSON form (``finetune`` in ``paretolab cost estimate``)."""
        return {
            "method": method.method,
            "params_trainable": self.trainable,
            "params_adapter": self.adapter,
            "params_frozen_below": self.frozen_below,
            "flops_per_token": self.flops_per_token,
            "formula": "2(N+A) + 2(N+A-B) + 2T per token",
        }


def lora_params(shape: ModelShape, rank: int, targets: str = "qv") -> int:
    """LoRA adapter parameters: ``rank × (in + out)`` per adapted matrix, every block."""
    d, hw = shape.d_model, shape.head_width
    q, kv = shape.n_heads * hw, shape.kv_heads * hw
    matrices = {"qv": [(d, q), (d, kv)], "attention": [(d, q), (d, kv), (d, kv), (q, d)]}
    if targets == "all":
        ff = shape.expert_d_ff or shape.d_ff if shape.is_moe else shape.d_ff
        gated = 3 if shape.ffn != "mlp" else 2
        experts = shape.experts_per_token + shape.shared_experts if shape.is_moe else 1
        mats = matrices["attention"] + [(d, ff)] * gated * experts
    else:
        mats = matrices[targets]
    layers = shape.n_layers + (shape.decoder_layers if shape.family == "encoder_decoder" else 0)
    return layers * rank * sum(i + o for i, o in mats)


def finetune_counts(shape: ModelShape, params_active: float, how: Finetune) -> FinetuneCounts:
    """Trainable, adapter and frozen-below counts of ``how`` on ``shape``, and FLOPs per token.

    Raises:
        UserError: an unknown method or target, or more frozen layers than the model has.
    """
    if how.method not in METHODS:
        raise UserError(f"fine-tuning method {how.method!r}: choose one of {', '.join(METHODS)}")
    n = params_active
    if how.method == "full":
        return FinetuneCounts(n, 0.0, 0.0, training_flops_per_token(n, n))
    embeddings = sum(v for k, v in model_params(shape).items() if "embedding" in k)
    if how.method == "lora":
        if how.lora_targets not in LORA_TARGETS or how.lora_rank < 1:
            raise UserError(
                f"LoRA needs a rank ≥ 1 and targets among {', '.join(LORA_TARGETS)}, got "
                f"rank {how.lora_rank}, targets {how.lora_targets!r}"
            )
        a = float(lora_params(shape, how.lora_rank, how.lora_targets))
        # Gradients reach the lowest adapter: the first block's attention input.
        return FinetuneCounts(a, a, embeddings, training_flops_per_token(n, a, a, embeddings))
    if not 0 <= how.freeze_layers <= shape.n_layers:
        raise UserError(
            f"freeze_layers={how.freeze_layers} must be between 0 and the {shape.n_layers} layers"
        )
    below = embeddings + how.freeze_layers * _layer_params(shape, n)
    return FinetuneCounts(n - below, 0.0, below, training_flops_per_token(n, n - below, 0, below))


def _layer_params(shape: ModelShape, params_active: float) -> float:
    """One block's parameters; a mixture of experts: the active share of an average block
    (scaled to ``params_active``, which may be a count given by the user)."""
    if not shape.is_moe:
        return (
            float(sum(block_params(shape).values()))
            * params_active
            / max(sum(model_params(shape).values()), 1)
        )
    share = non_embedding_params(shape, active=True) / max(
        sum(model_params(shape, active=True).values()), 1
    )
    return params_active * share / shape.n_layers


def finetuned_compute(compute: Compute, ratio: float) -> Compute:
    """The training count of a fine-tune: the 6·N·D-style count scaled by
    ``training_flops_per_token / 6N`` (attention over the context in the same ratio)."""
    breakdown = {k: v * ratio for k, v in compute.flops_breakdown.items()}
    exact = None if compute.flops_exact is None else compute.flops_exact * ratio
    return replace(
        compute,
        flops_exact=exact,
        flops_breakdown=MappingProxyType(breakdown),
        pf_days=pf_days(exact if exact is not None else compute.flops_6nd * ratio),
    )


def trainable_only(memory: TrainingMemory, share: float) -> TrainingMemory:
    """Gradients and optimiser states for the trainable share of the weights only."""
    if share >= 1.0:
        return memory
    return replace(
        memory, gradients_gb=memory.gradients_gb * share, optimizer_gb=memory.optimizer_gb * share
    )


def finetune_note(how: Finetune, counts: FinetuneCounts) -> str:
    """The assumption line of a fine-tune."""
    detail = (
        f"LoRA rank {how.lora_rank} on {how.lora_targets}"
        if how.method == "lora"
        else f"the lowest {how.freeze_layers} blocks and the embeddings frozen"
    )
    return (
        f"fine-tuning: {detail}; {counts.trainable:.3g} trainable parameters; "
        f"{counts.flops_per_token:.3g} FLOPs per token = 2(N+A) + 2(N+A-B) + 2T "
        "(no weight gradients for frozen weights; flops_6nd is full training's 6·N·D)"
    )


def config_finetune(config: Any) -> Finetune | None:
    """A run config's fine-tuning (``model.finetune``, ``freeze_layers``, ``lora``), read
    with ``getattr`` so a config schema without them reads as None."""
    model = config.model
    method = getattr(model, "finetune", None)
    if not getattr(model, "pretrained", None) or method not in METHODS:
        return None
    lora = getattr(model, "lora", None)
    rank = getattr(lora, "r", None) or getattr(lora, "rank", None) or 16
    return Finetune(str(method), int(getattr(model, "freeze_layers", 0) or 0), int(rank))
