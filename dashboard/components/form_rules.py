"""Which launch-form fields apply to what is chosen, what to call them, and which come first.

The form (``config_form``) draws a field only where it applies to the task, dataset, model
family, optimiser and schedule chosen above it (a hidden field keeps its value, so the
config stays whole); each section's common fields first, the rest under *Advanced*; and
labels in words, the schema's path in the help text.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from paretolab.config.pretrained import HEADED_TASKS, POOLED_TASKS, PRETRAINED_FAMILY

Context = Mapping[str, Any]  # field path → the value chosen so far ("task", "data.dataset", …)

_SYNTHETIC = ("copy", "reverse", "sort", "addition")
_TEXT_TASKS = ("classification", "regression", "masked_lm", "language_modeling", "seq2seq")
_SEQ_TASKS = ("language_modeling", "seq2seq")
_COSTING_TERMS = (
    "ffn", "n_kv_heads", "num_experts", "experts_per_token", "shared_experts",
    "dense_layers_first", "expert_d_ff",
)  # fmt: skip


def _is(path: str, *values: Any) -> Callable[[Context], bool]:
    return lambda ctx: ctx.get(path) in values


def _pretrained(ctx: Context) -> bool:
    return ctx.get("model.family") == PRETRAINED_FAMILY


def _file(ctx: Context) -> bool:
    return ctx.get("data.dataset") == "file"


APPLIES: dict[str, Callable[[Context], bool]] = {
    "data.path": _file,
    "data.text_column": lambda c: _file(c) and c.get("task") != "seq2seq",
    "data.label_column": lambda c: _file(c) and c.get("task") in ("classification", "regression"),
    "data.source_column": lambda c: _file(c) and c.get("task") == "seq2seq",
    "data.target_column": lambda c: _file(c) and c.get("task") == "seq2seq",
    "data.max_file_mb": _file,
    "data.num_examples": _is("data.dataset", "num2words", *_SYNTHETIC),
    "data.number_range": _is("data.dataset", "num2words"),
    "data.source_lang": _is("data.dataset", "num2words"),
    "data.target_lang": _is("data.dataset", "num2words"),
    "data.sequence_length": _is("data.dataset", *_SYNTHETIC),
    "data.mlm_probability": _is("task", "masked_lm"),
    "data.eval_windows": _is("task", "classification"),
    "data.cv_folds": _is("task", "classification", "regression", "image_classification"),
    "optim.momentum": _is("optim.optimizer", "sgd", "rmsprop", "muon"),
    "optim.betas": _is("optim.optimizer", "adamw", "adam", "muon"),
    "optim.eps": _is("optim.optimizer", "adamw", "adam", "rmsprop", "muon"),
    "optim.min_lr_ratio": _is("optim.scheduler", "cosine", "linear"),
    "optim.decay_by_time": _is("optim.scheduler", "cosine", "linear"),
    "optim.step_size": _is("optim.scheduler", "step"),
    "optim.step_gamma": _is("optim.scheduler", "step"),
    "model.patch_size": _is("model.family", "vit"),
    "model.n_decoder_layers": _is("model.family", "encoder_decoder"),
    "model.tie_weights": _is("model.family", "decoder_lm", "encoder_decoder"),
    "model.pooling": lambda c: (
        _is("model.family", "encoder_classifier", "vit")(c)
        or (_pretrained(c) and c.get("task") in POOLED_TASKS)
    ),
    # Where the config accepts it: a head added on a pretrained body, any optimiser but muon.
    "optim.head_lr": lambda c: (
        _pretrained(c) and c.get("task") in HEADED_TASKS and c.get("optim.optimizer") != "muon"
    ),
    "model.init_checkpoint": lambda c: c.get("model.init_from") is not None,
    # Costing terms: what `paretolab cost estimate` prices; the models here train none.
    **dict.fromkeys((f"model.{n}" for n in _COSTING_TERMS), lambda c: False),
    "hardware.strategy": lambda c: (
        (c.get("hardware.devices") or 1) > 1 or (c.get("hardware.num_nodes") or 1) > 1
    ),
}
# Whole sections that only some tasks read.
SECTION_APPLIES: dict[str, Callable[[Context], bool]] = {
    "generate": _is("task", *_SEQ_TASKS),
    "clean": _is("task", *_TEXT_TASKS),
    "tokenizer": _is("task", *_TEXT_TASKS),
}
# Each section's fields a newcomer sets; the rest go under "Advanced".
COMMON: dict[str, tuple[str, ...]] = {
    "run": ("name", "task", "tags"),
    "data": ("dataset", "path", "text_column", "label_column", "source_column",
             "target_column", "max_length", "batch_size", "limit_samples", "train_fraction"),
    "augment": (),
    "clean": (),
    "tokenizer": ("kind", "vocab_size"),
    "model": ("family", "pretrained", "finetune", "d_model", "n_layers", "n_heads", "d_ff",
              "patch_size", "dropout"),
    "optim": ("optimizer", "lr", "weight_decay", "scheduler", "warmup_steps"),
    "trainer": ("max_epochs", "max_time_minutes", "precision", "seed", "monitor",
                "monitor_mode"),
    "hardware": ("accelerator", "devices", "profile"),
    "monitoring": ("enabled",),
    "generate": ("max_new_tokens", "temperature", "num_samples"),
    "wandb": ("mode", "project"),
}  # fmt: skip
LABELS = {
    "lr": "Learning rate",
    "d_model": "Model width (d_model)",
    "d_ff": "Feed-forward width",
    "n_layers": "Layers",
    "n_heads": "Attention heads",
    "n_kv_heads": "Key/value heads",
    "n_decoder_layers": "Decoder layers",
    "max_length": "Max tokens per example",
    "max_epochs": "Epochs",
    "max_steps": "Max steps (-1: by epochs)",
    "max_time_minutes": "Time limit (minutes)",
    "max_new_tokens": "New tokens per sample",
    "top_k": "Top-k",
    "eps": "Epsilon",
    "cv_folds": "Cross-validation folds",
    "mlm_probability": "Masked share",
    "lora": "LoRA",
}


def applies(path: str, ctx: Context) -> bool:
    """Whether field ``path`` (``section.name``) matters for what ``ctx`` has chosen."""
    rule = APPLIES.get(path)
    return rule is None or bool(rule(ctx))


def section_applies(section: str, ctx: Context) -> bool:
    """Whether a whole section matters for the chosen task."""
    rule = SECTION_APPLIES.get(section)
    return rule is None or bool(rule(ctx))


def is_common(path: str) -> bool:
    """Whether ``path`` is one of its section's first-shown fields (top-level fields are
    section ``run``); sections without a list show everything first."""
    section, _, name = path.rpartition(".")
    common = COMMON.get(section.split(".")[0] or "run")
    return common is None or name in common or "." in section


def label(path: str) -> str:
    """A field's label in words: ``optim.lr`` → "Learning rate", ``warmup_steps`` →
    "Warmup steps"."""
    name = path.rsplit(".", 1)[-1]
    return LABELS.get(name) or name.replace("_", " ").capitalize()
