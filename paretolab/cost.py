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


def model_params(
    model: ModelConfig,
    vocab_size: int,
    max_len: int,
    num_classes: int = 0,
    image_shape: tuple[int, int, int] | None = None,
) -> dict[str, int]:
    """Parameters of the configured model, by block (matches the torch modules exactly).

    Args:
        model: the model section of a run config.
        vocab_size: tokenizer vocabulary size.
        max_len: longest sequence (learned position table size).
        num_classes: classes of a classifier's head (ignored for language models).
        image_shape: ``(channels, height, width)`` of a ViT's images.
    """
    d = model.d_model
    blocks = model.n_layers * sum(block_params(d, model.ff_dim()).values())
    if model.family == "vit":
        if image_shape is None:
            raise ValueError("a ViT's parameter count needs the image shape")
        c, h, w = image_shape
        p = model.patch_size
        return {
            "patch embedding": c * p * p * d + d,
            "position embedding": ((h // p) * (w // p) + 1) * d + d,  # + the [CLS] token
            "blocks": blocks,
            "final layer norm": 2 * d,
            "output head": d * num_classes + num_classes,
        }
    if model.family == "encoder_decoder":  # source and target vocabularies taken equal
        cross = block_params(d, model.ff_dim())["attention"] + 2 * d  # + its layer norm
        return {
            "token embedding": 2 * vocab_size * d,
            "position embedding": 2 * max_len * d if model.positional == "learned" else 0,
            "blocks": blocks,
            "decoder blocks": model.decoder_layers() * (blocks // model.n_layers + cross),
            "final layer norm": 4 * d,  # one after each stack
            "output head": 0 if model.tie_weights else vocab_size * d,
        }
    if model.family == "decoder_lm":
        head = 0 if model.tie_weights else vocab_size * d  # bias-free next-token projection
    else:
        head = d * num_classes + num_classes
    return {
        "token embedding": vocab_size * d,
        "position embedding": max_len * d if model.positional == "learned" else 0,
        "blocks": blocks,
        "final layer norm": 2 * d,
        "output head": head,
    }
