"""A pretrained run's fine-tuned model as a plain Hugging Face folder.

The run's checkpoint is restored (a LoRA run's adapters onto the checkpoint's frozen weights),
the adapters are merged into the weights they adapt (``merge_and_unload``), and the result is
saved with ``save_pretrained`` beside the run's tokenizer (or the checkpoint's image
processor) and ``paretolab_export.json``. The folder loads with the task's ``transformers``
Auto class; no paretolab code is needed to use it. A mean-pooled classifier's folder holds
the base model (``AutoModel``), ``mean_pooling_head.safetensors`` and ``mean_pooling.py``,
whose ``load_exported(folder)`` builds it with torch and transformers alone.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from torch import nn

from lightning_modules.inspection.loading import LoadedRun, load_run
from lightning_modules.pretrained.loading import PROVENANCE_FILE, locate_files, mean_pooled
from lightning_modules.pretrained.mean_pooling import (
    HEAD_FILE,
    LOADER_FILE,
    MeanPooledClassifier,
    save_exported,
)
from paretolab import settings
from paretolab.config.io import parse_config
from paretolab.errors import UserError
from paretolab.store import RunStore

EXPORT_FILE = "paretolab_export.json"
_PROCESSOR_FILE = "preprocessor_config.json"


def export_model(
    run_id: int, out: Path, checkpoint: str = "best", store: RunStore | None = None
) -> dict[str, Any]:
    """Write run ``run_id``'s ``best`` or ``last`` model to the folder ``out``.

    The folder is written beside ``out`` under a temporary name and renamed when complete,
    so ``out`` never holds half an export.

    Returns:
        What ``paretolab_export.json`` records.

    Raises:
        UserError: no such run, a run trained from scratch, no such checkpoint, or ``out``
            exists and is not an empty folder.
    """
    store = store or RunStore()
    config = parse_config(store.get_run(run_id).config)
    if not config.model.is_pretrained():
        raise UserError(
            f"run {run_id} trained a {config.model.family} model from scratch; export-model "
            "writes pretrained (Hugging Face) runs only, and exporting from-scratch models "
            "comes with the model registry"
        )
    out = Path(out)
    check_out(out)
    loaded = load_run(run_id, checkpoint, store)
    record = _record(loaded, store)

    def fill(folder: Path) -> None:
        save_hf_folder(loaded, folder)
        (folder / EXPORT_FILE).write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")

    write_folder(out, fill)
    return record


def save_hf_folder(loaded: LoadedRun, folder: Path) -> None:
    """The run's model (LoRA merged) with ``save_pretrained`` (safetensors), and its
    tokenizer or image processor: a folder ``transformers``' Auto classes load. A
    mean-pooled head (``model.pooling: mean``) is no transformers class: its folder holds
    the base model, the head and the loader (``mean_pooling.save_exported``)."""
    model = merged_model(loaded.task.model)
    if isinstance(model, MeanPooledClassifier):
        save_exported(model, folder)
    else:
        model.save_pretrained(folder)
    _save_preprocessing(loaded, folder)


def write_folder(out: Path, fill: Callable[[Path], None]) -> None:
    """Let ``fill`` write a temporary folder beside ``out``, then rename it to ``out`` (an
    empty folder or none, see ``check_out``): ``out`` never holds half an export."""
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        fill(tmp)
        if out.is_dir():
            out.rmdir()  # checked empty before
        tmp.rename(out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def merged_model(model: nn.Module) -> nn.Module:
    """The plain ``transformers`` model: a PeftModel's adapters merged into its weights."""
    from peft import PeftModel

    if isinstance(model, PeftModel):
        model = model.merge_and_unload()
    return model.eval()


def check_out(out: Path) -> None:
    """Raise ``UserError`` unless ``out`` is a new or empty folder in an existing one."""
    if out.is_dir() and any(out.iterdir()):
        raise UserError(f"--out {out} is a folder that is not empty; name a new or empty folder")
    if out.exists() and not out.is_dir():
        raise UserError(f"--out {out} is a file; name a new or empty folder")
    if not out.parent.is_dir():
        raise UserError(f"--out {out}: its parent folder {out.parent} does not exist")


def _save_preprocessing(loaded: LoadedRun, folder: Path) -> None:
    """The run's tokenizer as a ``PreTrainedTokenizerFast`` with the checkpoint's special
    tokens, or (images) the checkpoint's image processor."""
    source = locate_files(loaded.config.model).folder
    if loaded.tokenizer is None:
        if (source / _PROCESSOR_FILE).is_file():
            shutil.copyfile(source / _PROCESSOR_FILE, folder / _PROCESSOR_FILE)
        else:  # the processing the task used: the model's size, mean and std 0.5
            _default_image_processor(loaded).save_pretrained(folder)
        return
    from transformers import AutoTokenizer, PreTrainedTokenizerFast

    trust = loaded.config.model.trust_remote_code
    original = AutoTokenizer.from_pretrained(source, trust_remote_code=trust)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=loaded.tokenizer,
        model_max_length=original.model_max_length,
        **original.special_tokens_map,
    )
    fast.save_pretrained(folder)


def _default_image_processor(loaded: LoadedRun) -> Any:
    from transformers import ViTImageProcessor

    task = loaded.task
    height, width = task.image_size
    return ViTImageProcessor(
        size={"height": height, "width": width},
        image_mean=task.image_mean.tolist(),
        image_std=task.image_std.tolist(),
    )


def _record(loaded: LoadedRun, store: RunStore) -> dict[str, Any]:
    m = loaded.config.model
    provenance = settings.run_dir(loaded.run_id) / PROVENANCE_FILE
    origin = json.loads(provenance.read_text(encoding="utf-8")) if provenance.is_file() else {}
    metrics = {
        name: metric.value
        for name, metric in sorted(store.latest_metrics(loaded.run_id).items())
        if name.startswith(("val_", "test_"))
    }
    return {
        "run_id": loaded.run_id,
        "checkpoint": loaded.checkpoint,
        "step": loaded.step,
        "fold": loaded.fold,
        "task": loaded.config.task,
        "source_model": m.pretrained,
        "source_revision": m.revision,
        "source_commit": origin.get("commit"),
        "finetune": m.finetune,
        "lora_merged": m.finetune == "lora",
        "metrics": metrics,
        **_loading(loaded),
    }


def _loading(loaded: LoadedRun) -> dict[str, Any]:
    """How the folder loads: the task's Auto class, or (mean pooling) the loader file."""
    if not mean_pooled(loaded.config):
        return {"pooling": "model's own head"}
    return {
        "pooling": "mean",
        "head_file": HEAD_FILE,
        "loader": f"{LOADER_FILE}: load_exported(folder) (the base model loads with AutoModel)",
    }
