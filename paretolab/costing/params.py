"""Parameter counts per model family, by block; equal to the torch modules' counts (tests).

A block is attention + feed-forward + norms. Its terms come from the shape: grouped-query
attention (``n_kv_heads``), a gated feed-forward (three matrices), biases (all, Q/K/V only,
none), LayerNorm (2·d) or RMSNorm (d), and mixtures of experts, where each MoE layer holds
``num_experts`` routed experts, ``shared_experts`` always-on ones and a router (d × experts),
and a token passes through ``experts_per_token`` routed experts: the *active* count.
"""

from __future__ import annotations

from paretolab.costing.shapes import ModelShape

# Blocks that are embeddings (looked up, not multiplied): left out of "non-embedding" N.
EMBEDDING_BLOCKS = (
    "token embedding",
    "position embedding",
    "patch embedding",
    "token-type embedding",
)


def attention_params(shape: ModelShape) -> int:
    """One attention layer: Q, K, V and output projections (grouped-query aware)."""
    d, q, kv = shape.d_model, shape.n_heads * shape.head_width, shape.kv_heads * shape.head_width
    weights = d * q + 2 * d * kv + q * d
    biases = {"all": q + 2 * kv + d, "attention": q + 2 * kv + d, "qkv": q + 2 * kv}.get(
        shape.bias, 0
    )
    return weights + biases


def ffn_params(shape: ModelShape, d_ff: int) -> int:
    """One dense feed-forward of hidden width ``d_ff`` (two matrices, three if gated)."""
    matrices = 2 if shape.ffn == "mlp" else 3
    biases = (matrices - 1) * d_ff + shape.d_model if shape.bias == "all" else 0
    return matrices * shape.d_model * d_ff + biases


def norm_params(shape: ModelShape) -> int:
    """One normalisation layer."""
    return shape.d_model * (1 if shape.norm == "rmsnorm" else 2)


def moe_params(shape: ModelShape, active: bool = False) -> int:
    """One MoE feed-forward: router and experts (only the ones a token uses if ``active``)."""
    routed = shape.experts_per_token if active else shape.num_experts
    expert = ffn_params(shape, shape.expert_d_ff or shape.d_ff)
    return shape.d_model * shape.num_experts + (routed + shared_experts(shape)) * expert


def shared_experts(shape: ModelShape) -> int:
    """Always-on experts of an MoE layer."""
    return shape.shared_experts if shape.is_moe else 0


def block_params(shape: ModelShape, moe: bool = False, active: bool = False) -> dict[str, int]:
    """Parameters of one pre-LN Transformer block, by part (an MoE block if ``moe``)."""
    ffn = moe_params(shape, active) if moe else ffn_params(shape, shape.d_ff)
    return {
        "attention": attention_params(shape),
        "feed-forward": ffn,
        "layer norms": 2 * norm_params(shape),
    }


def _stack_params(shape: ModelShape, active: bool) -> int:
    """All encoder (or decoder-only) blocks."""
    if not shape.is_moe:
        return shape.n_layers * sum(block_params(shape).values())
    dense = min(shape.dense_layers_first, shape.n_layers)
    return dense * sum(block_params(shape).values()) + (shape.n_layers - dense) * sum(
        block_params(shape, moe=True, active=active).values()
    )


def model_params(shape: ModelShape, active: bool = False) -> dict[str, int]:
    """Parameters of the model, by block (matches the torch modules exactly); ``active``:
    an MoE model's parameters one token passes through."""
    d = shape.d_model
    blocks = _stack_params(shape, active)
    if shape.family == "vit":
        c, _, _ = shape.image_shape or (0, 0, 0)
        p = shape.patch_size
        return {
            "patch embedding": c * p * p * d + d,
            # A sinusoidal table is fixed: only the [CLS] token is trained.
            "position embedding": (shape.image_tokens if shape.positional == "learned" else 0) * d
            + d,
            "blocks": blocks,
            "final layer norm": norm_params(shape),
            "output head": d * shape.num_classes + shape.num_classes,
        }
    positions = shape.max_len * d if shape.positional == "learned" else 0
    relative = shape.relative_buckets * shape.n_heads
    if shape.family == "encoder_decoder":
        cross = attention_params(shape) + norm_params(shape)
        block = sum(block_params(shape).values())
        vocab = shape.vocab_size if shape.shared_vocab else shape.vocab_size + shape.out_vocab
        return {
            "token embedding": vocab * d,
            "position embedding": 2 * positions + 2 * relative,
            "blocks": blocks,
            "decoder blocks": shape.decoder_layers * (block + cross),
            "final layer norm": 2 * norm_params(shape),  # one after each stack
            "output head": 0 if shape.tie_weights else shape.out_vocab * d,
        }
    counts = {
        "token embedding": shape.vocab_size * d,
        "position embedding": positions + relative,
        "blocks": blocks,
        "final layer norm": norm_params(shape),
        "output head": _head_params(shape),
    }
    if shape.token_types:
        counts["token-type embedding"] = shape.token_types * d
    return counts


def _head_params(shape: ModelShape) -> int:
    d, v = shape.d_model, shape.vocab_size
    if shape.head == "lm":  # a bias-free next-token projection
        return 0 if shape.tie_weights else v * d
    if shape.head == "mlm":  # dense + layer norm + vocabulary projection with its bias
        return d * d + d + 2 * d + v + (0 if shape.tie_weights else v * d)
    return d * shape.num_classes + shape.num_classes


def total_params(shape: ModelShape) -> int:
    """All parameters."""
    return sum(model_params(shape).values())


def active_params(shape: ModelShape) -> int:
    """Parameters one token passes through: ``total_params`` for a dense model; for a
    mixture of experts, only ``experts_per_token`` routed experts (and the shared ones)."""
    return sum(model_params(shape, active=True).values())


def non_embedding_params(shape: ModelShape, active: bool = False) -> int:
    """Parameters outside the embedding tables (Kaplan et al.'s N)."""
    counts = model_params(shape, active)
    return sum(n for k, n in counts.items() if k not in EMBEDDING_BLOCKS)
