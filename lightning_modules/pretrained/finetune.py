"""Ways to fine-tune a pretrained model: in full, with the lowest layers frozen, or LoRA.

LoRA (``peft``) freezes every weight of the checkpoint and trains low-rank adapters beside
the attention projections, plus the new task head. Its default targets are ``peft``'s own
table per architecture, completed here for the ones it lacks (ViT, DistilBERT).
"""

from __future__ import annotations

from collections.abc import Sequence

from torch import nn

from lightning_modules.pretrained.kinds import HFKind
from lightning_modules.pretrained.mean_pooling import MeanPooledClassifier
from paretolab.config import ModelConfig
from paretolab.errors import UserError

# Attention projections by their usual names, for architectures peft has no default for (or
# whose layers a newer transformers renamed): the first pair the model has is used.
_ATTENTION_PAIRS = (("query", "value"), ("q_proj", "v_proj"), ("q_lin", "v_lin"), ("q", "v"))
# The head a freshly added image classifier or our mean-pooled head gets (peft has no task
# type that keeps it).
_IMAGE_HEADS = ("classifier", "head", "fc")
# The modules of the task heads transformers adds on a checkpoint (BERT, RoBERTa, ViT and our
# mean-pooled head: classifier; DistilBERT: pre_classifier too; GPT-2, Llama: score).
_NEW_HEADS = frozenset({"classifier", "pre_classifier", "score"})


def lora_targets(model: nn.Module, cfg: ModelConfig) -> list[str]:
    """The module names that get adapters: the config's, or the architecture's default.

    Raises:
        UserError: a named module is no linear layer of the model, or the architecture has
            no default and none is named.
    """
    model_type = model.config.model_type
    linear = _linear_names(model)
    names = cfg.lora.target_modules or _default_targets(model_type, linear)
    if not names:
        raise UserError(
            f"model.lora.target_modules: no default for a {model_type} model; name its "
            f"attention projections, e.g. {', '.join(sorted(linear)[:6])}"
        )
    missing = [n for n in names if n not in linear]
    if missing:
        raise UserError(
            f"model.lora.target_modules: {', '.join(map(repr, missing))} is not a linear "
            f"layer of {cfg.pretrained} ({model_type}); its linear layers are named "
            f"{', '.join(sorted(linear))}"
        )
    return list(names)


def _default_targets(model_type: str, linear: set[str]) -> list[str] | None:
    from peft.utils.constants import TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING

    known = TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING.get(model_type)
    if known and set(known) <= linear:
        return list(known)
    return next((list(pair) for pair in _ATTENTION_PAIRS if set(pair) <= linear), None)


def apply_finetune(model: nn.Module, cfg: ModelConfig, kind: HFKind) -> nn.Module:
    """``model`` made ready to train as ``cfg.finetune`` says (LoRA wraps it in a PeftModel)."""
    if cfg.finetune == "freeze":
        freeze_lowest(model, cfg.freeze_layers, cfg.pretrained or "")
        return model
    if cfg.finetune != "lora":
        return model
    from peft import LoraConfig, get_peft_model

    # peft's task types wrap transformers' own heads; our mean-pooled head is named instead.
    ours = isinstance(model, MeanPooledClassifier)
    peft_task = None if ours else kind.peft_task
    lora = LoraConfig(
        r=cfg.lora.r,
        lora_alpha=cfg.lora.alpha,
        lora_dropout=cfg.lora.dropout,
        target_modules=lora_targets(model, cfg),
        task_type=peft_task,
        modules_to_save=None if peft_task else _head_names(model),
    )
    return get_peft_model(model, lora)


def is_new_head(name: str) -> bool:
    """Whether the parameter ``name`` (any wrapper prefixes included) is in the task head
    added on a pretrained body, not in the body."""
    return not _NEW_HEADS.isdisjoint(name.split("."))


def freeze_lowest(model: nn.Module, layers: int, name: str) -> None:
    """Freeze the embeddings and the lowest ``layers`` blocks of ``model``.

    Raises:
        UserError: the model has fewer blocks than ``layers``.
    """
    blocks = block_list(model)
    if layers > len(blocks):
        raise UserError(
            f"model.freeze_layers={layers} but {name} has {len(blocks)} blocks; "
            f"choose 0 to {len(blocks)}"
        )
    frozen = [*_embedding_modules(model), *blocks[:layers]]
    for module in frozen:
        module.requires_grad_(False)


def block_list(model: nn.Module) -> Sequence[nn.Module]:
    """The model's Transformer blocks, lowest first: the longest ``ModuleList`` in its base
    (BERT's ``encoder.layer``, GPT-2's ``h``, Llama's ``layers``, ViT's ``encoder.layer``; an
    encoder-decoder's encoder blocks)."""
    base = getattr(model, "base_model", model)
    lists = [m for m in base.modules() if isinstance(m, nn.ModuleList)]
    if not lists:
        return []
    return max(lists, key=len)


def parameter_counts(model: nn.Module) -> tuple[int, int]:
    """``(total, trainable)`` parameters, each shared tensor counted once."""
    seen: dict[int, nn.Parameter] = {id(p): p for p in model.parameters()}
    total = sum(p.numel() for p in seen.values())
    trainable = sum(p.numel() for p in seen.values() if p.requires_grad)
    return total, trainable


def _embedding_modules(model: nn.Module) -> list[nn.Module]:
    base = getattr(model, "base_model", model)
    found = [m for n, m in base.named_children() if "embed" in n or n in ("wte", "wpe", "shared")]
    inputs = model.get_input_embeddings() if hasattr(model, "get_input_embeddings") else None
    return [*found, *([inputs] if inputs is not None else [])]


def _linear_names(model: nn.Module) -> set[str]:
    """The last name part of every linear layer (what peft's ``target_modules`` match)."""
    from transformers.pytorch_utils import Conv1D  # GPT-2's projections

    return {
        name.rsplit(".", 1)[-1]
        for name, module in model.named_modules()
        if isinstance(module, (nn.Linear, Conv1D)) and name
    }


def _head_names(model: nn.Module) -> list[str]:
    children = dict(model.named_children())
    return [n for n in _IMAGE_HEADS if n in children][:1]
