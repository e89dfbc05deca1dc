"""A model shape from a Hugging Face ``config.json``: reads JSON only (no torch, no download).

``paretolab cost estimate --hf-config PATH`` and a pretrained run's local model folder come
here. Each known ``model_type`` maps its own field names onto ``ModelShape``; the defaults
are those of ``transformers``' config classes (e.g. Llama unties its embeddings, Gemma ties
them). Training sequences default to ``min(max_position_embeddings, DEFAULT_CONTEXT)``
tokens: a 128k-token window is a serving limit, not how the model was trained.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from paretolab.costing.shapes import ModelShape, check_shape
from paretolab.errors import UserError
from paretolab.limits import MAX_CONFIG_BYTES

DEFAULT_CONTEXT = 4096


def read_hf_config(path: str | Path) -> dict[str, Any]:
    """The JSON of ``path`` (a ``config.json``, or a model folder holding one).

    Raises:
        UserError: no such file, too large, not JSON, or not a JSON object.
    """
    path = Path(path).expanduser()
    if path.is_dir():
        path = path / "config.json"
    if not path.is_file():
        raise UserError(f"{path}: no such file; give a config.json or a model folder holding one")
    if path.stat().st_size > MAX_CONFIG_BYTES:
        raise UserError(f"{path}: larger than {MAX_CONFIG_BYTES:,} bytes; is it a config.json?")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UserError(f"{path}: not JSON ({exc}); give a model's config.json") from None
    if not isinstance(data, dict):
        raise UserError(f"{path}: expected a JSON object (a model's config.json)")
    return data


def shape_from_hf_config(path: str | Path, seq_len: int | None = None) -> ModelShape:
    """The shape of the model a ``config.json`` (or a model folder) describes.

    Args:
        path: the ``config.json`` or the folder holding it.
        seq_len: tokens per training sequence (default: see the module docstring).

    Raises:
        UserError: unreadable file, unknown ``model_type``, a missing or invalid field.
    """
    data = read_hf_config(path)
    kind = data.get("model_type")
    if kind not in READERS:
        raise UserError(
            f"{path}: model_type {kind!r} is not one paretolab can cost; known: "
            f"{', '.join(sorted(READERS))} (or give --layers, --d-model …)"
        )
    fields = _Fields(data, f"{path} ({kind})")
    shape = READERS[kind](fields)
    if seq_len is not None:
        shape = _with(shape, context=seq_len)
    if shape.max_len > DEFAULT_CONTEXT and not shape.context:
        shape = _with(shape, context=DEFAULT_CONTEXT)
    check_shape(shape, f"{path}: ")
    return shape


class _Fields:
    """A config's fields, with one-line errors that name the file and field."""

    def __init__(self, data: dict[str, Any], where: str) -> None:
        self.data, self.where = data, where

    def int(self, *names: str, default: int | None = None) -> int:
        for name in names:
            value = self.data.get(name)
            if value is not None:
                if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                    raise UserError(f"{self.where}: {name}={value!r} must be a whole number ≥ 0")
                return value
        if default is None:
            raise UserError(f"{self.where}: required field {names[0]!r} is missing")
        return default

    def get(self, name: str, default: Any) -> Any:
        value = self.data.get(name)
        return default if value is None else value


def _with(shape: ModelShape, **changes: Any) -> ModelShape:
    return replace(shape, **changes)


def _gated(act: str) -> str:
    return "swiglu" if "silu" in act or "swish" in act else "geglu"


def _llama_like(f: _Fields, tie: bool, bias: str = "none", act: str = "silu") -> ModelShape:
    heads = f.int("num_attention_heads")
    d = f.int("hidden_size")
    if f.get("attention_bias", False):
        bias = "attention"
    return ModelShape(
        family="decoder_lm",
        n_layers=f.int("num_hidden_layers"),
        d_model=d,
        n_heads=heads,
        d_ff=f.int("intermediate_size"),
        vocab_size=f.int("vocab_size"),
        max_len=f.int("max_position_embeddings", default=DEFAULT_CONTEXT),
        head="lm",
        tie_weights=bool(f.get("tie_word_embeddings", tie)),
        positional="rope",
        ffn=_gated(str(f.get("hidden_activation", None) or f.get("hidden_act", act))),
        n_kv_heads=f.int("num_key_value_heads", default=heads),
        head_dim=f.int("head_dim", default=0) or (d // heads if heads else 0),
        bias=bias,
        norm="rmsnorm",
    )


def _mixtral(f: _Fields) -> ModelShape:
    shape = _llama_like(f, tie=False)
    return _with(
        shape,
        num_experts=f.int("num_local_experts"),
        experts_per_token=f.int("num_experts_per_tok"),
    )


def _gpt2(f: _Fields) -> ModelShape:
    d = f.int("n_embd")
    return ModelShape(
        family="decoder_lm",
        n_layers=f.int("n_layer"),
        d_model=d,
        n_heads=f.int("n_head"),
        d_ff=f.int("n_inner", default=4 * d),
        vocab_size=f.int("vocab_size"),
        max_len=f.int("n_positions"),
        head="lm",
        tie_weights=bool(f.get("tie_word_embeddings", True)),
    )


def _bert(f: _Fields) -> ModelShape:
    d = f.int("hidden_size")
    if "BertModel" in (f.get("architectures", None) or []):
        # The bare encoder (sentence embedders): its pooler is a d × d dense layer with a
        # bias, one per sequence, which is what a d-class head counts.
        return replace(_bert_mlm(f), head="classes", num_classes=d, mlm_probability=0.15)
    return _bert_mlm(f)


def _bert_mlm(f: _Fields) -> ModelShape:
    # BertForMaskedLM (bert-base's own architecture): its head scores every position.
    return ModelShape(
        family="encoder_classifier",
        n_layers=f.int("num_hidden_layers"),
        d_model=f.int("hidden_size"),
        n_heads=f.int("num_attention_heads"),
        d_ff=f.int("intermediate_size"),
        vocab_size=f.int("vocab_size"),
        max_len=f.int("max_position_embeddings"),
        head="mlm",
        tie_weights=bool(f.get("tie_word_embeddings", True)),
        mlm_probability=1.0,
        token_types=f.int("type_vocab_size", default=2),
    )


def _t5(f: _Fields) -> ModelShape:
    layers = f.int("num_layers")
    proj = str(f.get("feed_forward_proj", "relu"))
    return ModelShape(
        family="encoder_decoder",
        n_layers=layers,
        d_model=f.int("d_model"),
        n_heads=f.int("num_heads"),
        d_ff=f.int("d_ff"),
        vocab_size=f.int("vocab_size"),
        max_len=f.int("n_positions", default=512),
        head="lm",
        n_decoder_layers=f.int("num_decoder_layers", default=layers),
        tie_weights=bool(f.get("tie_word_embeddings", True)),
        positional="relative",
        ffn=_gated(proj) if proj.startswith("gated") else "mlp",
        head_dim=f.int("d_kv"),
        bias="none",
        norm="rmsnorm",
        relative_buckets=f.int("relative_attention_num_buckets", default=32),
        shared_vocab=True,
    )


READERS: dict[str, Callable[[_Fields], ModelShape]] = {
    "llama": lambda f: _llama_like(f, tie=False),
    "mistral": lambda f: _llama_like(f, tie=False),
    "qwen2": lambda f: _llama_like(f, tie=False, bias="qkv"),
    "gemma": lambda f: _llama_like(f, tie=True, act="gelu_pytorch_tanh"),
    "mixtral": _mixtral,
    "gpt2": _gpt2,
    "bert": _bert,
    "t5": _t5,
}
