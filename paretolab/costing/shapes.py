"""The numbers a cost is computed from: a model's shape and a batch's shape. No torch.

``ModelShape`` holds what the parameter, FLOP and memory formulas need, from a run config
(plus the sizes only the data knows: vocabulary, classes, image shape) or from bare
architecture numbers (``paretolab cost estimate --layers … --d-model …``). Bare numbers need
not satisfy the config's rules: GPT-3 13B has d_model 5140 over 40 heads.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from paretolab import tasks
from paretolab.config import RunConfig
from paretolab.errors import UserError


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
    # Today's architectures (Llama, Mistral, Qwen2, Gemma, Mixtral, T5). The defaults are
    # the GPT-style block the from-scratch models build: biases everywhere, LayerNorm, a
    # two-matrix feed-forward, as many key/value heads as query heads.
    ffn: str = "mlp"
    """``mlp`` (two matrices), ``swiglu`` or ``geglu`` (gated: three matrices)."""
    n_kv_heads: int = 0
    """Key/value heads (grouped-query attention; 1: multi-query). 0: ``n_heads``."""
    head_dim: int = 0
    """Width of one attention head (Gemma: 256 at any width). 0: ``d_model / n_heads``."""
    bias: str = "all"
    """Linear biases: ``all`` (GPT-2, BERT), ``attention`` (Q, K, V and output only), ``qkv``
    (Qwen2: Q, K and V only) or ``none`` (Llama)."""
    norm: str = "layernorm"
    """``layernorm`` (weight and bias: 2·d) or ``rmsnorm`` (weight only: d)."""
    num_experts: int = 0
    """Mixture of experts: routed experts per MoE layer (0: a dense model)."""
    experts_per_token: int = 0
    """Mixture of experts: routed experts each token goes through (top-k)."""
    shared_experts: int = 0
    """Mixture of experts: experts every token goes through (DeepSeek)."""
    dense_layers_first: int = 0
    """Mixture of experts: the first layers keep a dense feed-forward (DeepSeek)."""
    expert_d_ff: int = 0
    """Mixture of experts: hidden width of one expert. 0: ``d_ff``."""
    token_types: int = 0
    """BERT: rows of the token-type (segment) embedding."""
    relative_buckets: int = 0
    """T5: relative-position buckets (a bias per bucket and head, in each stack's first layer)."""
    shared_vocab: bool = False
    """Encoder–decoder: one token embedding for source and target (T5)."""
    context: int = 0
    """Tokens per training sequence when fewer than ``max_len`` (a Hugging Face model's
    position table is longer than the sequences it is costed at). 0: ``max_len``."""

    @property
    def train_len(self) -> int:
        """Tokens per full-length training sequence."""
        return self.context or self.max_len

    @property
    def kv_heads(self) -> int:
        """Key/value heads actually used."""
        return self.n_kv_heads or self.n_heads

    @property
    def head_width(self) -> int:
        """Width of one attention head."""
        return self.head_dim or self.d_model // self.n_heads

    @property
    def is_moe(self) -> bool:
        """True for a mixture of experts."""
        return self.num_experts > 0

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
            **_costing_terms(m),
        )


def _costing_terms(m: Any) -> dict[str, Any]:
    """The config's costing terms (``model.ffn`` …) as shape fields."""
    return {
        "ffn": m.ffn,
        "n_kv_heads": m.n_kv_heads or 0,
        "num_experts": m.num_experts,
        "experts_per_token": m.experts_per_token,
        "shared_experts": m.shared_experts,
        "dense_layers_first": m.dense_layers_first,
        "expert_d_ff": m.expert_d_ff or 0,
    }


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
    length = seq_len or shape.train_len
    if shape.family == "encoder_decoder":
        return BatchShape(sequences, length, target_len=length)
    return BatchShape(sequences, length)


FFNS = ("mlp", "swiglu", "geglu")
BIASES = ("all", "attention", "qkv", "none")
NORMS = ("layernorm", "rmsnorm")


def check_shape(shape: ModelShape, where: str = "") -> None:
    """Refuse a shape the formulas cannot cost; ``where`` prefixes the message (a file).

    Raises:
        UserError: one line naming the term that is wrong and what it must be.
    """
    for name in ("n_layers", "d_model", "n_heads", "d_ff"):
        if getattr(shape, name) < 1:
            raise UserError(f"{where}{name} must be a positive integer, got {getattr(shape, name)}")
    for name, value, allowed in (
        ("ffn", shape.ffn, FFNS),
        ("bias", shape.bias, BIASES),
        ("norm", shape.norm, NORMS),
    ):
        if value not in allowed:
            raise UserError(f"{where}{name}={value!r}: choose one of {', '.join(allowed)}")
    if shape.n_heads % shape.kv_heads:
        raise UserError(
            f"{where}n_kv_heads={shape.kv_heads} must divide n_heads={shape.n_heads} "
            "(grouped-query attention shares each K/V head among a group of query heads)"
        )
    if shape.is_moe and not 1 <= shape.experts_per_token <= shape.num_experts:
        raise UserError(
            f"{where}experts_per_token={shape.experts_per_token} must be between 1 and "
            f"num_experts={shape.num_experts}"
        )
