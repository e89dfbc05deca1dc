"""Parameter counts per model family, by block; equal to the torch modules' counts (tests)."""

from __future__ import annotations

from paretolab.costing.shapes import ModelShape

# Blocks that are embeddings (looked up, not multiplied): left out of "non-embedding" N.
EMBEDDING_BLOCKS = ("token embedding", "position embedding", "patch embedding")


def block_params(d_model: int, d_ff: int) -> dict[str, int]:
    """Parameters of one pre-LN Transformer block, by part."""
    d = d_model
    return {
        "attention": 4 * d * d + 4 * d,  # Q, K, V and output projections with biases
        "feed-forward": 2 * d * d_ff + d_ff + d,
        "layer norms": 4 * d,
    }


def model_params(shape: ModelShape) -> dict[str, int]:
    """Parameters of the model, by block (matches the torch modules exactly)."""
    d = shape.d_model
    block = sum(block_params(d, shape.d_ff).values())
    blocks = shape.n_layers * block
    if shape.family == "vit":
        c, _, _ = shape.image_shape or (0, 0, 0)
        p = shape.patch_size
        return {
            "patch embedding": c * p * p * d + d,
            # A sinusoidal table is fixed: only the [CLS] token is trained.
            "position embedding": (shape.image_tokens if shape.positional == "learned" else 0) * d
            + d,
            "blocks": blocks,
            "final layer norm": 2 * d,
            "output head": d * shape.num_classes + shape.num_classes,
        }
    positions = shape.max_len * d if shape.positional == "learned" else 0
    if shape.family == "encoder_decoder":
        cross = block_params(d, shape.d_ff)["attention"] + 2 * d  # + its layer norm
        return {
            "token embedding": (shape.vocab_size + shape.out_vocab) * d,
            "position embedding": 2 * positions,
            "blocks": blocks,
            "decoder blocks": shape.decoder_layers * (block + cross),
            "final layer norm": 4 * d,  # one after each stack
            "output head": 0 if shape.tie_weights else shape.out_vocab * d,
        }
    return {
        "token embedding": shape.vocab_size * d,
        "position embedding": positions,
        "blocks": blocks,
        "final layer norm": 2 * d,
        "output head": _head_params(shape),
    }


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


def non_embedding_params(shape: ModelShape) -> int:
    """Parameters outside the embedding tables (Kaplan et al.'s N)."""
    return sum(n for k, n in model_params(shape).items() if k not in EMBEDDING_BLOCKS)
