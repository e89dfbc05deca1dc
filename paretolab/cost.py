"""The cost model: pure arithmetic on a config, no torch (issue 7 grows it into FLOPs and $).

For now: parameter counts per block, which the launch form's model diagram shows.
"""

from __future__ import annotations

from paretolab.config import ModelConfig


def block_params(d_model: int, d_ff: int) -> dict[str, int]:
    """Parameters of one pre-LN Transformer block, by part."""
    d = d_model
    return {
        "attention": 4 * d * d + 4 * d,  # Q, K, V and output projections with biases
        "feed-forward": 2 * d * d_ff + d_ff + d,
        "layer norms": 4 * d,
    }


def encoder_classifier_params(
    model: ModelConfig, vocab_size: int, max_len: int, num_classes: int
) -> dict[str, int]:
    """Parameters of the encoder classifier, by block (matches the torch module exactly)."""
    d = model.d_model
    per_block = sum(block_params(d, model.ff_dim()).values())
    return {
        "token embedding": vocab_size * d,
        "position embedding": max_len * d if model.positional == "learned" else 0,
        "encoder blocks": model.n_layers * per_block,
        "final layer norm": 2 * d,
        "classifier head": d * num_classes + num_classes,
    }
