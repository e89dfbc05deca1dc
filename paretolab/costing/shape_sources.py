"""Where a model shape comes from: bare architecture numbers, or a run config (a pretrained
model's own ``config.json`` when it names one). No torch."""

from __future__ import annotations

from typing import Any

from paretolab.config import RunConfig
from paretolab.costing.hf_config import shape_from_hf_config
from paretolab.costing.shapes import ModelShape, check_shape
from paretolab.errors import UserError
from paretolab.model_sources import locate


def shape_from_numbers(
    layers: int,
    d_model: int,
    heads: int,
    vocab: int,
    seq_len: int,
    d_ff: int | None = None,
    family: str = "decoder_lm",
    num_classes: int = 0,
    **terms: Any,
) -> ModelShape:
    """A model shape from bare architecture numbers (GPT-style by default).

    ``terms`` are more ``ModelShape`` fields (``ffn``, ``n_kv_heads``, ``num_experts`` …).

    Raises:
        UserError: a number that cannot describe a Transformer.
    """
    for name, value in (
        ("--layers", layers),
        ("--d-model", d_model),
        ("--heads", heads),
        ("--vocab", vocab),
        ("--seq-len", seq_len),
    ):
        if value is None or value < 1:
            raise UserError(f"{name} must be a positive integer, got {value}")
    if heads > d_model:
        raise UserError(f"--heads={heads} cannot exceed --d-model={d_model}")
    if family not in ("encoder_classifier", "decoder_lm", "encoder_decoder"):
        raise UserError(
            f"--family {family!r}: choose encoder_classifier, decoder_lm or encoder_decoder"
        )
    head = "classes" if family == "encoder_classifier" else "lm"
    if head == "classes" and num_classes < 1:
        raise UserError("--family encoder_classifier needs --classes (the number of labels)")
    shape = ModelShape(
        family=family,
        n_layers=layers,
        d_model=d_model,
        n_heads=heads,
        d_ff=d_ff or 4 * d_model,
        vocab_size=vocab,
        max_len=seq_len,
        head=head,
        num_classes=num_classes,
        **{k: v for k, v in terms.items() if v is not None},
    )
    check_shape(shape)
    return shape


def config_shape(
    config: RunConfig,
    num_classes: int = 0,
    image_shape: tuple[int, int, int] | None = None,
) -> ModelShape:
    """The shape a run config trains: a pretrained model's own ``config.json`` (wherever
    ``model_sources.locate`` finds it on this machine: a folder, ``$PARETOLAB_HOME/models``,
    an installed model package, the Hugging Face cache), else the from-scratch model the
    config builds.

    Raises:
        UserError: the pretrained model's ``config.json`` is not here, unreadable or unknown.
    """
    if not config.model.is_pretrained():
        return ModelShape.from_config(config, num_classes=num_classes, image_shape=image_shape)
    name = config.model.pretrained or ""
    try:
        source = locate(name, config.model.revision)
    except UserError as exc:  # offline (HF_HUB_OFFLINE) and nowhere on this machine
        raise UserError(f"{exc}; or price it with --hf-config") from None
    if source.folder is None:
        raise UserError(
            f"model.pretrained={name!r}: its config.json is not on this machine (the "
            "estimate reads no network); download the model, or price it with --hf-config"
        )
    return shape_from_hf_config(str(source.folder), seq_len=config.data.max_length)
