"""The run config's model section: a from-scratch architecture, or a pretrained checkpoint
(``config.pretrained``), and the costing terms of today's architectures (assembled into
``RunConfig`` in ``paretolab.config``). Imports no torch."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from paretolab.config.pretrained import PRETRAINED_FAMILY, PretrainedFields, shape_fields_set


class ModelConfig(PretrainedFields):
    family: Literal["encoder_classifier", "decoder_lm", "encoder_decoder", "vit", "pretrained"] = (
        "encoder_classifier"
    )
    """Model family: `encoder_classifier` is a pre-LN Transformer encoder with a task head
    (classes, a regression value, or masked tokens); `decoder_lm` a causal decoder-only
    language model (GPT-style); `encoder_decoder` an encoder plus a causal decoder with
    cross-attention (seq2seq); `vit` a Vision Transformer (patch embedding, [CLS] token);
    `pretrained` a Hugging Face checkpoint named by `pretrained` (set for you when it is)."""

    n_decoder_layers: int | None = Field(None, ge=1, le=128)
    """`encoder_decoder`: decoder blocks. Empty: `n_layers`."""

    init_from: int | None = Field(None, ge=1)
    """Start from the weights of run N (e.g. a `masked_lm` pretraining run): its tokenizer
    and every weight whose name and shape fit are loaded; the task head starts fresh. The
    `tokenizer` section is then ignored (run N's vocabulary is used). Empty: random
    initialisation."""

    init_checkpoint: Literal["best", "last"] = "best"
    """`init_from`: which checkpoint of that run to load."""

    patch_size: int = Field(4, ge=1, le=64)
    """`vit`: side of the square image patches; must divide the image size."""

    tie_weights: bool = True
    """`decoder_lm`, `encoder_decoder`, `masked_lm`: share the token embedding with the
    output layer (standard for language models)."""

    d_model: int = Field(128, ge=8, le=16384)
    """Width of token embeddings and of every block's residual stream."""

    n_layers: int = Field(2, ge=1, le=128)
    """Number of Transformer blocks."""

    n_heads: int = Field(4, ge=1, le=256)
    """Attention heads per block; must divide `d_model`."""

    d_ff: int | None = Field(None, ge=1, le=131072)
    """Hidden width of the feed-forward layer. Empty: 4 × `d_model`."""

    dropout: float = Field(0.1, ge=0.0, lt=1.0)
    """Dropout on embeddings, attention output and feed-forward output."""

    attention_dropout: float = Field(0.0, ge=0.0, lt=1.0)
    """Dropout on attention probabilities."""

    positional: Literal["learned", "sinusoidal", "rope"] = "learned"
    """Position encoding: a learned or sinusoidal table added to token embeddings, or rotary
    position embeddings (`rope`: queries and keys of self-attention rotated by position; not
    for `vit`, whose patches sit on a 2-D grid)."""

    pooling: Literal["mean", "cls"] = "mean"
    """How the sequence becomes one vector for the head: mean over tokens, or a [CLS] token.
    A `vit` pools its [CLS] token unless `pooling: mean` is written (then: mean over patches).
    A `pretrained` text classifier or regressor: `mean` is the checkpoint's base model, the
    mean of its last hidden states over the attention mask, dropout and a new linear head;
    `cls` is transformers' own head (`AutoModelForSequenceClassification`: BERT's [CLS] +
    pooler). Other pretrained tasks use their model's own head."""

    def ff_dim(self) -> int:
        """The feed-forward hidden width actually used."""
        return self.d_ff if self.d_ff is not None else 4 * self.d_model

    def decoder_layers(self) -> int:
        """Decoder blocks of an `encoder_decoder` model."""
        return self.n_decoder_layers if self.n_decoder_layers is not None else self.n_layers

    def is_pretrained(self) -> bool:
        """Whether this model is a Hugging Face checkpoint (``pretrained``) to fine-tune."""
        return self.family == PRETRAINED_FAMILY

    @model_validator(mode="before")
    @classmethod
    def _family_defaults(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        # A ViT always had a [CLS] token and pooled it: keep that the default for the family.
        if data.get("family") == "vit" and "pooling" not in data:
            return {**data, "pooling": "cls"}
        # Naming a checkpoint is choosing the pretrained family.
        if data.get("pretrained") and "family" not in data:
            return {**data, "family": PRETRAINED_FAMILY}
        return data

    @model_validator(mode="after")
    def _pretrained_fields_fit_the_family(self) -> ModelConfig:
        if self.is_pretrained() != (self.pretrained is not None):
            raise ValueError(
                "model.family=pretrained needs model.pretrained (a model folder or hub id)"
                if self.pretrained is None
                else f"model.pretrained is read by family pretrained, not {self.family!r}; "
                "remove model.family (or set it to pretrained)"
            )
        if not self.is_pretrained():
            fields = ("finetune", "freeze_layers", "revision", "trust_remote_code")
            changed = [f for f in fields if getattr(self, f) != type(self).model_fields[f].default]
            if changed:
                raise ValueError(
                    f"model.{changed[0]} applies to a pretrained model only; set "
                    "model.pretrained, or remove it"
                )
            return self
        changed = shape_fields_set(self)
        if changed:
            raise ValueError(
                f"model.{changed[0]} does not apply to a pretrained model: its shape comes "
                f"from {self.pretrained}'s config.json; remove it"
            )
        if self.freeze_layers and self.finetune != "freeze":
            raise ValueError(
                f"model.freeze_layers={self.freeze_layers} applies with model.finetune=freeze, "
                f"not {self.finetune!r}; set finetune: freeze, or remove freeze_layers"
            )
        return self

    @model_validator(mode="after")
    def _heads_divide_width(self) -> ModelConfig:
        if self.d_model % self.n_heads:
            raise ValueError(
                f"model.n_heads={self.n_heads} must divide model.d_model={self.d_model} "
                f"(try n_heads in {_divisors(self.d_model)})"
            )
        if self.positional == "rope" and self.family == "vit":
            raise ValueError(
                "model.positional=rope is for token sequences; a vit's patches sit on a 2-D "
                "grid: use learned or sinusoidal"
            )
        if self.positional == "rope" and (self.d_model // self.n_heads) % 2:
            raise ValueError(
                f"model.positional=rope needs an even head width, but d_model/n_heads = "
                f"{self.d_model}/{self.n_heads} is odd: change n_heads or d_model"
            )
        return self

    # Costing terms (issue 21): today's architectures, for `paretolab cost estimate` and the
    # Launch page's cost preview. The from-scratch models train the defaults only; a run
    # that sets another value is refused at admission (`training_refusal`).
    ffn: Literal["mlp", "swiglu", "geglu"] = "mlp"
    """Costing term. Feed-forward kind: `mlp` (two matrices) or a gated one, `swiglu`
    (Llama, Mistral, Qwen) or `geglu` (Gemma), with three matrices."""

    n_kv_heads: int | None = Field(None, ge=1, le=256)
    """Costing term. Key/value heads (grouped-query attention; 1: multi-query); must divide
    `n_heads`. Empty: `n_heads`."""

    num_experts: int = Field(0, ge=0, le=1024)
    """Costing term. Mixture of experts: routed experts per MoE layer (0: a dense model)."""

    experts_per_token: int = Field(0, ge=0, le=1024)
    """Costing term. Mixture of experts: routed experts each token goes through (top-k);
    between 1 and `num_experts`."""

    shared_experts: int = Field(0, ge=0, le=64)
    """Costing term. Mixture of experts: experts every token goes through (DeepSeek)."""

    dense_layers_first: int = Field(0, ge=0, le=128)
    """Costing term. Mixture of experts: the first layers keep a dense feed-forward."""

    expert_d_ff: int | None = Field(None, ge=1, le=131072)
    """Costing term. Mixture of experts: one expert's hidden width. Empty: the `d_ff` used."""

    @model_validator(mode="after")
    def _costing_terms_agree(self) -> ModelConfig:
        if self.n_kv_heads is not None and self.n_heads % self.n_kv_heads:
            raise ValueError(
                f"model.n_kv_heads={self.n_kv_heads} must divide model.n_heads={self.n_heads}"
            )
        if self.num_experts and not 1 <= self.experts_per_token <= self.num_experts:
            raise ValueError(
                f"model.experts_per_token={self.experts_per_token} must be between 1 and "
                f"model.num_experts={self.num_experts}"
            )
        return self

    def training_refusal(self) -> str | None:
        """Why the from-scratch models cannot train this config's costing terms (None: they
        can): one line naming the first term set away from its default."""
        defaults = {"ffn": "mlp", "n_kv_heads": None, "num_experts": 0}
        for name, default in defaults.items():
            value = getattr(self, name)
            if value != default and not (name == "n_kv_heads" and value == self.n_heads):
                return (
                    f"model.{name}={value} is a costing term; the from-scratch models train "
                    "mlp feed-forwards with full multi-head attention and no experts only: "
                    "remove it to train, or price it with `paretolab cost estimate`"
                )
        return None


def _divisors(n: int) -> list[int]:
    return [d for d in range(1, min(n, 64) + 1) if n % d == 0]
