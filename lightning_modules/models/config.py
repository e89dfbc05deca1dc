"""What every model is built from: one frozen config object, as nanoGPT passes ``GPTConfig``.

``TransformerConfig`` is the cost model's ``ModelShape`` (``paretolab.costing.shapes``: the
sizes the parameter and FLOP formulas read) plus what changes training but not cost:
dropout and pooling. Tasks build it from the run config and the sizes only the data knows.
"""

from __future__ import annotations

from dataclasses import dataclass

from paretolab.config import RunConfig
from paretolab.costing.shapes import ModelShape


@dataclass(frozen=True)
class TransformerConfig:
    """A Transformer's architecture and regularisation."""

    vocab_size: int
    """Token vocabulary (the source side of an encoder–decoder; 0 for a ViT)."""
    max_len: int
    """Longest sequence (source and target of an encoder–decoder): the size of a learned
    position table and of the rotary cache."""
    d_model: int
    """Width of the residual stream."""
    n_layers: int
    """Blocks of the stack (the encoder's, for an encoder–decoder)."""
    n_heads: int
    """Attention heads per block; divides ``d_model``."""
    d_ff: int
    """Hidden width of each block's feed-forward layer."""
    dropout: float = 0.1
    """Dropout on embeddings, residual branches and the classifier head."""
    attention_dropout: float = 0.0
    """Dropout on attention probabilities."""
    positional: str = "learned"
    """``learned``, ``sinusoidal`` or ``rope`` (rotary; not for a ViT)."""
    tie_weights: bool = True
    """Share the (target) token embedding with the output layer of a language model."""
    num_classes: int = 0
    """Classifier outputs (1 for regression)."""
    pooling: str = "mean"
    """Classifier: ``mean`` over real tokens or the ``cls`` token's state."""
    n_decoder_layers: int = 0
    """Encoder–decoder: decoder blocks (0: as many as ``n_layers``)."""
    target_vocab: int = 0
    """Encoder–decoder: the target vocabulary (0: the same as ``vocab_size``)."""
    image_shape: tuple[int, int, int] | None = None
    """ViT: ``(channels, height, width)`` of its images."""
    patch_size: int = 0
    """ViT: side of the square patches."""

    @property
    def decoder_layers(self) -> int:
        """Encoder–decoder: the decoder's blocks."""
        return self.n_decoder_layers or self.n_layers

    @property
    def out_vocab(self) -> int:
        """The vocabulary a language model's output layer predicts."""
        return self.target_vocab or self.vocab_size

    @classmethod
    def from_shape(
        cls,
        shape: ModelShape,
        dropout: float = 0.1,
        attention_dropout: float = 0.0,
        pooling: str = "mean",
    ) -> TransformerConfig:
        """The cost model's shape of a model, plus its regularisation and pooling."""
        return cls(
            vocab_size=shape.vocab_size,
            max_len=shape.max_len,
            d_model=shape.d_model,
            n_layers=shape.n_layers,
            n_heads=shape.n_heads,
            d_ff=shape.d_ff,
            dropout=dropout,
            attention_dropout=attention_dropout,
            positional=shape.positional,
            tie_weights=shape.tie_weights,
            num_classes=shape.num_classes,
            pooling=pooling,
            n_decoder_layers=shape.n_decoder_layers,
            target_vocab=shape.target_vocab,
            image_shape=shape.image_shape,
            patch_size=shape.patch_size,
        )

    @classmethod
    def from_run(
        cls,
        config: RunConfig,
        vocab_size: int = 0,
        num_classes: int = 0,
        image_shape: tuple[int, int, int] | None = None,
        target_vocab: int = 0,
    ) -> TransformerConfig:
        """The model of a run config, with the sizes only its prepared data knows."""
        m = config.model
        shape = ModelShape.from_config(config, vocab_size, num_classes, image_shape, target_vocab)
        return cls.from_shape(shape, m.dropout, m.attention_dropout, m.pooling)
