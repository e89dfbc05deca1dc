"""Build a pretrained run's model and tokenizer from its checkpoint folder, and record them.

Every process that needs the model (training, a resumed run, the attention explorer, an
export) locates the checkpoint again with ``paretolab.model_sources.locate``: the run's
config names it, and its files on this machine are the same ones (the run recorded their
hashes in ``pretrained.json``).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tokenizers import Tokenizer
from torch import nn

from lightning_modules.pretrained.finetune import apply_finetune, parameter_counts
from lightning_modules.pretrained.kinds import check_fits, check_remote_code, kind_for
from lightning_modules.pretrained.mean_pooling import build_mean_pooled
from paretolab import model_sources
from paretolab.config import ModelConfig, RunConfig
from paretolab.config.pretrained import POOLED_TASKS
from paretolab.errors import UserError
from paretolab.files import write_atomically

log = logging.getLogger("paretolab.pretrained")
PROVENANCE_FILE = "pretrained.json"


def quiet_transformers() -> None:
    """No progress bars or load reports from ``transformers`` in a run's log."""
    import transformers

    transformers.utils.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()


def locate_files(model: ModelConfig) -> model_sources.ModelSource:
    """The checkpoint's folder on this machine, downloaded first if only the hub has it
    (and ``HF_HUB_OFFLINE`` is not set: ``locate`` refuses otherwise)."""
    source = model_sources.locate(model.pretrained or "", model.revision)
    if source.folder is not None:
        return source
    from huggingface_hub import snapshot_download

    log.info("downloading %s from the Hugging Face hub", source.name)
    folder = Path(snapshot_download(source.name, revision=model.revision))
    return model_sources.ModelSource(source.name, source.kind, folder, folder.name, source.looked)


def checked_config(config: RunConfig, folder: Path) -> dict[str, Any]:
    """The checkpoint's config.json, checked to fit the run's task and trust setting."""
    m = config.model
    raw = model_sources.read_model_config(folder)
    check_remote_code(raw, m.pretrained or str(folder), m.trust_remote_code)
    check_fits(config.task, raw, m.pretrained or str(folder), m.trust_remote_code)
    return raw


def build_model(
    config: RunConfig,
    folder: Path,
    class_names: Sequence[str] | None = None,
    weights: bool = True,
) -> nn.Module:
    """The checkpoint's model with the task's head, made ready to fine-tune.

    Args:
        config: the run config (``task`` picks the Auto class, ``model`` the fine-tuning).
        folder: the checkpoint's folder.
        class_names: the labels of a classification task (a fresh head of that width).
        weights: False builds the architecture only (for checks: on the meta device).
    """
    import transformers

    quiet_transformers()
    checked_config(config, folder)
    kind = kind_for(config.task)
    auto = getattr(transformers, kind.auto_class)
    trust = config.model.trust_remote_code
    head = _head_arguments(config.task, class_names)
    if mean_pooled(config):
        model = build_mean_pooled(folder, head, trust, weights)
    elif weights:
        model = auto.from_pretrained(folder, trust_remote_code=trust, **head)
    else:
        hf_config = transformers.AutoConfig.from_pretrained(folder, trust_remote_code=trust, **head)
        model = auto.from_config(hf_config, trust_remote_code=trust)
    model.train()  # from_pretrained returns eval mode: dropout would be off in training
    if getattr(model.config, "pad_token_id", None) is None:
        model.config.pad_token_id = 0  # batches are padded with 0 (their masks say where)
    return apply_finetune(model, config.model, kind)


def mean_pooled(config: RunConfig) -> bool:
    """Whether the run's model is our mean-pooled head on the checkpoint's base model
    (``model.pooling: mean`` for text classification or regression), not the task's Auto
    class."""
    return config.task in POOLED_TASKS and config.model.pooling == "mean"


def _head_arguments(task: str, class_names: Sequence[str] | None) -> dict[str, Any]:
    if task == "regression":
        return {"num_labels": 1, "problem_type": "regression", "ignore_mismatched_sizes": True}
    if class_names is None:
        return {}
    return {
        "num_labels": len(class_names),
        "id2label": dict(enumerate(class_names)),
        "label2id": {name: i for i, name in enumerate(class_names)},
        "ignore_mismatched_sizes": True,  # a checkpoint's own head of another width is replaced
    }


def checkpoint_tokenizer(model: ModelConfig) -> Tokenizer:
    """The checkpoint's own (fast) tokenizer as a ``tokenizers.Tokenizer``, with its special
    tokens ([CLS] … [SEP], <s>) added on encoding and no padding or truncation of its own.

    Raises:
        UserError: the checkpoint has no fast tokenizer (tokenizer.json).
    """
    from transformers import AutoTokenizer

    quiet_transformers()
    folder = locate_files(model).folder
    try:
        tok = AutoTokenizer.from_pretrained(folder, trust_remote_code=model.trust_remote_code)
    except (OSError, ValueError) as exc:
        raise UserError(
            f"model.pretrained={model.pretrained}: no tokenizer loads ({exc})"
        ) from None
    backend = getattr(tok, "backend_tokenizer", None)
    if backend is None:
        raise UserError(
            f"model.pretrained={model.pretrained} has only a slow (Python) tokenizer; "
            "paretolab needs a fast one: save it with tokenizer.json"
        )
    backend = Tokenizer.from_str(backend.to_str())  # a copy: its settings are the run's own
    backend.no_padding()
    backend.no_truncation()
    return backend


def write_provenance(run_dir: Path, config: RunConfig, model: nn.Module) -> dict[str, Any]:
    """Record where the run's starting weights came from in ``run_dir/pretrained.json``:
    the checkpoint's name, folder, commit, the SHA-256 of each weight file, the trust
    setting and the parameter counts. Returns what was written."""
    source = locate_files(config.model)
    raw = model_sources.read_model_config(source.folder)
    total, trainable = parameter_counts(model)
    record = {
        "name": config.model.pretrained,
        "kind": source.kind,
        "folder": str(source.folder),
        "commit": source.commit,
        "revision": config.model.revision,
        "weights": model_sources.weight_hashes(source.folder),
        "trust_remote_code": config.model.trust_remote_code,
        "model_type": raw.get("model_type"),
        "architecture": (raw.get("architectures") or [None])[0],
        "params_total": total,
        "params_trainable": trainable,
        "finetune": config.model.finetune,
    }
    write_atomically(run_dir / PROVENANCE_FILE, json.dumps(record, indent=2) + "\n")
    return record
