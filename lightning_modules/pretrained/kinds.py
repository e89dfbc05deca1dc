"""Which ``transformers`` Auto class learns each task, and whether a checkpoint fits it.

The checks read only the checkpoint's config (``PretrainedConfig``): they run before a run
is stored and must not load weights.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from transformers.models.auto import modeling_auto
from transformers.models.auto.configuration_auto import CONFIG_MAPPING_NAMES

from paretolab.errors import UserError


@dataclass(frozen=True)
class HFKind:
    """How a task is learnt by a Hugging Face model."""

    auto_class: str
    """The ``transformers`` Auto class, e.g. ``AutoModelForSequenceClassification``."""
    mapping: str
    """The name of its ``model_type → class`` table in ``transformers.models.auto``."""
    what: str
    """The head, in words (for messages)."""
    peft_task: str | None
    """``peft``'s task type (it then keeps the new head trainable); None: name the head."""
    examples: str
    """Model types that fit, for messages."""

    def model_types(self) -> dict[str, str]:
        """Model type → the class that learns this task."""
        return getattr(modeling_auto, self.mapping)


_SEQUENCE = HFKind(
    "AutoModelForSequenceClassification",
    "MODEL_FOR_SEQUENCE_CLASSIFICATION_MAPPING_NAMES",
    "a head over the whole sequence",
    "SEQ_CLS",
    "bert, roberta, distilbert, deberta-v2",
)
KINDS: dict[str, HFKind] = {
    "classification": _SEQUENCE,
    "regression": _SEQUENCE,
    "language_modeling": HFKind(
        "AutoModelForCausalLM",
        "MODEL_FOR_CAUSAL_LM_MAPPING_NAMES",
        "next-token prediction",
        "CAUSAL_LM",
        "gpt2, llama, mistral, qwen2",
    ),
    "seq2seq": HFKind(
        "AutoModelForSeq2SeqLM",
        "MODEL_FOR_SEQ_TO_SEQ_CAUSAL_LM_MAPPING_NAMES",
        "an encoder-decoder",
        "SEQ_2_SEQ_LM",
        "t5, bart, marian",
    ),
    "image_classification": HFKind(
        "AutoModelForImageClassification",
        "MODEL_FOR_IMAGE_CLASSIFICATION_MAPPING_NAMES",
        "an image classifier",
        None,
        "vit, deit, convnext",
    ),
}


def kind_for(task: str) -> HFKind:
    """The Auto class that learns ``task``.

    Raises:
        UserError: no pretrained family serves the task.
    """
    if task not in KINDS:
        raise UserError(
            f"task={task!r} has no pretrained model family; pretrained models learn "
            f"{', '.join(KINDS)}"
        )
    return KINDS[task]


def check_remote_code(raw: dict[str, Any], name: str, trusted: bool) -> None:
    """Refuse a checkpoint that needs its own Python code unless the config trusts it."""
    needs_code = "auto_map" in raw or raw.get("model_type") not in CONFIG_MAPPING_NAMES
    if needs_code and not trusted:
        raise UserError(
            f"model.pretrained={name} needs its own Python code (model_type "
            f"{raw.get('model_type')!r}{', auto_map in config.json' if 'auto_map' in raw else ''}"
            "), which paretolab does not run unless told to: read that code, then set "
            "model.trust_remote_code: true"
        )


def check_fits(task: str, raw: dict[str, Any], name: str, trusted: bool = False) -> HFKind:
    """Check that a checkpoint whose config.json is ``raw`` can learn ``task``.

    Raises:
        UserError: the model type has no class for the task, or is an encoder asked to
            predict the next token (BERT has an LM head class, but attends both ways).
    """
    kind = kind_for(task)
    model_type = raw["model_type"]
    if trusted and "auto_map" in raw:
        return kind  # its own code decides what it can learn
    archs = raw.get("architectures") or [model_type]
    fits = model_type in kind.model_types()
    encoder_only = (
        task == "language_modeling"
        and model_type in modeling_auto.MODEL_FOR_MASKED_LM_MAPPING_NAMES
        and not raw.get("is_decoder", False)
    )
    if not fits or encoder_only:
        why = "an encoder (it attends both ways)" if encoder_only else f"a {model_type} model"
        raise UserError(
            f"model.pretrained={name} is {why} ({archs[0]}); task={task} needs "
            f"{kind.what} ({kind.auto_class}): choose a model such as {kind.examples}"
        )
    return kind
