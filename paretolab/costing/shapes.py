"""The numbers a cost is computed from: a model's shape and a batch's shape. No torch.

``ModelShape`` holds what the parameter, FLOP and memory formulas need, from a run config
(plus the sizes only the data knows: vocabulary, classes, image shape) or from bare
architecture numbers (``paretolab cost estimate --layers … --d-model …``). Bare numbers need
not satisfy the config's rules: GPT-3 13B has d_model 5140 over 40 heads.
"""

from __future__ import annotations

from dataclasses import dataclass

from paretolab import tasks
from paretolab.config import RunConfig


@dataclass(frozen=True)
class ModelShape:
    """A Transformer's architecture, as the cost formulas see it."""

    family: str
    """``encoder_classifier``, ``decoder_lm``, ``encoder_decoder`` or ``vit``."""
    n_layers: int
    d_model: int
    n_heads: int
    d_ff: int
    vocab_size: int = 0
    """Token vocabulary (the source side of an encoder–decoder)."""
    max_len: int = 0
    """Longest sequence: the size of a learned position table, and the default length."""
    head: str = "lm"
    """``classes`` (one prediction per sequence), ``lm`` (logits at every position) or
    ``mlm`` (BERT's head at the masked positions)."""
    num_classes: int = 0
    n_decoder_layers: int = 0
    target_vocab: int = 0
    """Encoder–decoder: the target vocabulary (0: the same as ``vocab_size``)."""
    tie_weights: bool = True
    positional: str = "learned"
    image_shape: tuple[int, int, int] | None = None
    patch_size: int = 0
    mlm_probability: float = 0.15

    @property
    def out_vocab(self) -> int:
        """The vocabulary the output layer predicts."""
        return self.target_vocab or self.vocab_size

    @property
    def decoder_layers(self) -> int:
        return self.n_decoder_layers or self.n_layers

    @property
    def image_tokens(self) -> int:
        """ViT: patches plus the [CLS] token."""
        if self.image_shape is None or not self.patch_size:
            raise ValueError("a ViT's shape needs image_shape and patch_size")
        _, h, w = self.image_shape
        return (h // self.patch_size) * (w // self.patch_size) + 1

    @classmethod
    def from_config(
        cls,
        config: RunConfig,
        vocab_size: int | None = None,
        num_classes: int = 0,
        image_shape: tuple[int, int, int] | None = None,
        target_vocab: int = 0,
    ) -> ModelShape:
        """The shape of the config's model.

        Args:
            config: the run config.
            vocab_size: the trained tokenizer's vocabulary (default: the configured maximum).
            num_classes: classes of a classifier (1 for regression).
            image_shape: ``(channels, height, width)`` of a ViT's images.
            target_vocab: an encoder–decoder's target vocabulary (0: same as the source).
        """
        m = config.model
        return cls(
            family=m.family,
            n_layers=m.n_layers,
            d_model=m.d_model,
            n_heads=m.n_heads,
            d_ff=m.ff_dim(),
            vocab_size=config.tokenizer.vocab_size if vocab_size is None else vocab_size,
            max_len=config.data.max_length,
            head=tasks.TASKS[config.task].head,
            num_classes=1 if config.task == "regression" else num_classes,
            n_decoder_layers=m.decoder_layers() if m.family == "encoder_decoder" else 0,
            target_vocab=target_vocab,
            tie_weights=m.tie_weights,
            positional=m.positional,
            image_shape=tuple(image_shape) if image_shape else None,
            patch_size=m.patch_size if m.family == "vit" else 0,
            mlm_probability=config.data.mlm_probability,
        )


@dataclass(frozen=True)
class BatchShape:
    """What one batch feeds the model: how many sequences, how long, how much is predicted."""

    sequences: int
    seq_len: int
    """Tokens per sequence (a ViT's patches + [CLS]; an encoder–decoder's source)."""
    target_len: int = 0
    """Encoder–decoder: target tokens per sequence."""
    predicted: int | None = None
    """Positions that reach the output layer, over the batch; None: what the head implies
    (every position of an LM, one per sequence for a classifier, the masked share of an MLM)."""
    real_tokens: int | None = None
    """Non-padding tokens in the batch (None: all of them)."""

    @property
    def tokens(self) -> int:
        """Token positions processed (padding included: the hardware computes on it)."""
        return self.sequences * (self.seq_len + self.target_len)


def full_batch(shape: ModelShape, sequences: int, seq_len: int | None = None) -> BatchShape:
    """A batch of ``sequences`` at full length (``max_len``, a ViT's patch count)."""
    if shape.family == "vit":
        return BatchShape(sequences, shape.image_tokens)
    length = seq_len or shape.max_len
    if shape.family == "encoder_decoder":
        return BatchShape(sequences, length, target_len=length)
    return BatchShape(sequences, length)
