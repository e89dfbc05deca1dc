"""A registered version as a self-contained folder: safetensors or ONNX, config, tokenizer,
model card.

- ``safetensors``: a pretrained run's folder is the one ``transformers`` loads
  (``pretrained.export.save_hf_folder``: LoRA merged); a model trained from scratch is
  ``model.safetensors`` (every tensor of the task) with ``config.json`` (the task's
  constructor arguments, the run config among them) and the run's tokenizer files, which
  ``load_exported`` turns back into the model.
- ``onnx``: ``model.onnx`` checked against PyTorch (``onnx_export``), with the same config
  and tokenizer files.

Both carry ``README.md`` (the card) and ``paretolab_export.json`` (what was exported).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from lightning_modules.data.tokenization import TARGET_TOKENIZER_FILE, TOKENIZER_FILE
from lightning_modules.inspection.loading import LoadedRun, load_run
from lightning_modules.pretrained.export import EXPORT_FILE, check_out, save_hf_folder, write_folder
from lightning_modules.registry import modules_for
from lightning_modules.serving.card import CARD_FILE, model_card
from lightning_modules.serving.onnx_export import export_onnx
from lightning_modules.tasks import OptimizedTask
from paretolab import model_registry
from paretolab.errors import UserError
from paretolab.store import RunStore
from paretolab.store.registry_entities import ModelVersion
from paretolab.store.serving_results import ServingResults

FORMATS = ("safetensors", "onnx")
WEIGHTS_FILE = "model.safetensors"
CONFIG_FILE = "config.json"


def load_version(version: ModelVersion, store: RunStore) -> LoadedRun:
    """The version's model, after checking its checkpoint is the one registered.

    Raises:
        UserError: the checkpoint is missing or changed.
    """
    model_registry.checked_checkpoint(version)
    return load_run(version.run_id, version.checkpoint, store)


def export_version(ref: str, fmt: str, out: Path, store: RunStore | None = None) -> dict[str, Any]:
    """Export the version ``ref`` names into the new or empty folder ``out``.

    Returns:
        What ``paretolab_export.json`` records.

    Raises:
        UserError: an unknown model, version or alias; a missing checkpoint; a bad ``out``;
            a model ONNX cannot express (the op, and the format that works).
    """
    if fmt not in FORMATS:
        raise UserError(f"--format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    store = store or RunStore()
    version = model_registry.resolve(ref, store)
    out = Path(out)
    check_out(out)
    loaded = load_version(version, store)
    record: dict[str, Any] = {"model": version.ref, "run_id": version.run_id, "format": fmt}
    record |= {"checkpoint": version.checkpoint, "task": loaded.task_name}

    def fill(folder: Path) -> None:
        if fmt == "safetensors" and loaded.family == "pretrained":
            save_hf_folder(loaded, folder)
        else:
            _save_config_and_tokenizers(loaded, folder)
            if fmt == "safetensors":
                from safetensors.torch import save_model

                save_model(loaded.task, str(folder / WEIGHTS_FILE))
            else:
                record["onnx_parity"] = export_onnx(loaded, folder)
        measured = ServingResults(store.engine).for_version(version.model, version.version)
        card = model_card(version, store, [m.as_dict() for m in measured])
        (folder / CARD_FILE).write_text(card, encoding="utf-8")
        (folder / EXPORT_FILE).write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")

    write_folder(out, fill)
    return record


def load_exported(folder: Path) -> OptimizedTask:
    """A from-scratch safetensors export back as its task (eval mode), without paretolab's
    store or the run folder: what the export is self-contained for."""
    from safetensors.torch import load_model

    hparams = json.loads((folder / CONFIG_FILE).read_text(encoding="utf-8"))
    config = hparams["config"]
    task = modules_for(config["task"], config["model"].get("family")).task_cls()(**hparams)
    load_model(task, str(folder / WEIGHTS_FILE))
    return task.eval()


def _save_config_and_tokenizers(loaded: LoadedRun, folder: Path) -> None:
    hparams = {k: v for k, v in dict(loaded.task.hparams).items()}
    (folder / CONFIG_FILE).write_text(json.dumps(hparams, indent=2) + "\n", encoding="utf-8")
    for name in (TOKENIZER_FILE, TARGET_TOKENIZER_FILE):
        if (loaded.work_dir / name).is_file():
            shutil.copyfile(loaded.work_dir / name, folder / name)
