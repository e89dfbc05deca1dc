"""The pretrained models on this machine, for the launch form's picker and ``paretolab
models``: installed model packages, ``$PARETOLAB_HOME/models`` and the Hugging Face cache.

Each entry says what to write in ``model.pretrained`` and what the model is (architecture,
exact parameter count, licence, size) from its files alone: no torch, no transformers. A
folder is read again only when its files change, so the launch page stays fast; a broken
folder is listed with its problem rather than stopping the list.
"""

from __future__ import annotations

import os
import threading
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from paretolab import model_files
from paretolab.errors import UserError
from paretolab.model_sources import (
    CACHE,
    CONFIG_FILE,
    HOME,
    HUB_ID,
    MODEL_PACKAGES,
    PACKAGE,
    hf_cache_dir,
    models_home,
    package_model,
    read_model_config,
)

# What model_sources.locate takes for a hub id: a home folder named otherwise is offered by
# its path instead.
# locate() looks in this order; a name found earlier hides the same name found later.
_ORDER = (HOME, PACKAGE, CACHE)


@dataclass(frozen=True)
class ModelEntry:
    """One model found on this machine."""

    name: str
    """What to write in ``model.pretrained``."""
    folder: Path
    source: str
    """Where it was found: ``models home``, ``package`` or ``cache``."""
    commit: str | None = None
    """The cache's snapshot commit, or the package and its version."""
    revision: str | None = None
    """``model.revision`` that picks this copy (a cached snapshot no ref ``main`` names)."""
    model_type: str | None = None
    architecture: str | None = None
    """``architectures[0]`` of config.json."""
    params: int | None = None
    """Exact, from the safetensors headers; None: unknown (``.bin`` weights only)."""
    license: str | None = None
    size_bytes: int = 0
    problem: str | None = None
    """Why the folder cannot be used as it is (a bad config.json, unreadable weights)."""
    shadowed: bool = False
    """Another place locate() looks first holds the same name: that copy is used."""

    def label(self) -> str:
        """``name · architecture · parameters · licence`` for a picker."""
        parts = [self.name + (f"@{self.revision}" if self.revision else "")]
        parts.append(self.architecture or self.model_type or "unknown architecture")
        parts.append(f"{format_params(self.params)} params")
        parts.append(self.license or "licence not stated")
        if self.problem:
            parts.append("BROKEN")
        return " · ".join(parts)

    def as_dict(self) -> dict[str, Any]:
        """The entry as JSON-ready values."""
        return {**asdict(self), "folder": str(self.folder)}


def format_params(count: int | None) -> str:
    """``22.7M`` / ``1.1B`` / ``unknown``."""
    if count is None:
        return "unknown"
    for unit, size in (("B", 1e9), ("M", 1e6), ("K", 1e3)):
        if count >= size:
            return f"{count / size:.3g}{unit}"
    return str(count)


def list_models() -> list[ModelEntry]:
    """Every model on this machine: the models home, installed model packages, then the
    Hugging Face cache (locate()'s order), each sorted by name."""
    found = [*_home_models(), *_package_models(), *_cache_models()]
    earlier: set[str] = set()  # names a place locate() looks in first holds
    out = []
    for place in _ORDER:
        here = sorted((e for e in found if e.source == place), key=lambda e: e.name)
        out += [replace(describe(e), shadowed=e.name in earlier) for e in here]
        earlier |= {e.name for e in here}
    return out


def describe(entry: ModelEntry) -> ModelEntry:
    """``entry`` with its facts read from its folder (cached until the folder changes)."""
    key = str(entry.folder)
    stamp = _stamp(entry.folder)
    with _lock:
        cached = _described.get(key)
    if cached is not None and cached[0] == stamp:
        facts = cached[1]
    else:
        facts = _read_facts(entry.folder)
        with _lock:
            _described[key] = (stamp, facts)
    return replace(entry, **facts)


_lock = threading.Lock()  # the dashboard's sessions run in threads
_described: dict[str, tuple[Any, dict[str, Any]]] = {}  # folder → (stamp, facts)
_cache_scans: dict[str, tuple[Any, list[ModelEntry]]] = {}  # cache dir → (stamp, entries)


def _stamp(folder: Path) -> tuple[tuple[str, int, int], ...]:
    """Name, modification time and size of each entry directly in ``folder`` (links
    followed): what changes when a model's files are replaced."""
    stamp = []
    try:
        with os.scandir(folder) as it:
            for item in it:
                try:
                    st = item.stat()
                except OSError:
                    continue
                stamp.append((item.name, st.st_mtime_ns, st.st_size))
    except OSError:
        return ()
    return tuple(sorted(stamp))


def _read_facts(folder: Path) -> dict[str, Any]:
    facts: dict[str, Any] = {
        "license": model_files.card_license(folder),
        "size_bytes": model_files.disk_size(folder),
    }
    try:
        config = read_model_config(folder)
        archs = config.get("architectures")
        facts["model_type"] = config["model_type"]
        facts["architecture"] = str(archs[0]) if isinstance(archs, list) and archs else None
        facts["params"] = model_files.parameter_count(folder)
    except (UserError, OSError) as exc:
        facts["problem"] = str(exc)
    return facts


def _home_models() -> list[ModelEntry]:
    """Each folder of ``$PARETOLAB_HOME/models`` with a config.json, or one level deeper
    (``owner/name``)."""
    home = models_home()
    out = []
    for folder in _subfolders(home):
        inner = [folder] if (folder / CONFIG_FILE).exists() else _subfolders(folder)
        for model in inner:
            if (model / CONFIG_FILE).exists():
                name = model.relative_to(home).as_posix()
                out.append(ModelEntry(name if HUB_ID.match(name) else str(model), model, HOME))
    return out


def _subfolders(folder: Path) -> list[Path]:
    try:
        return sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))
    except OSError:  # no models home yet
        return []


def _package_models() -> list[ModelEntry]:
    """The models that installed packages ship (``model_sources.MODEL_PACKAGES``)."""
    found = {name: package_model(name) for name in MODEL_PACKAGES}
    return [
        ModelEntry(name, where[0], PACKAGE, commit=where[1])
        for name, where in found.items()
        if where is not None
    ]


def _cache_models() -> list[ModelEntry]:
    """Each model snapshot in the Hugging Face cache (``huggingface_hub.scan_cache_dir``),
    scanned again only when a repository's snapshots or refs change."""
    cache = hf_cache_dir()
    stamp = _cache_stamp(cache)
    with _lock:
        cached = _cache_scans.get(str(cache))
    if cached is not None and cached[0] == stamp:
        return cached[1]
    entries = _scan_cache(cache) if stamp else []
    with _lock:
        _cache_scans[str(cache)] = (stamp, entries)
    return entries


def _cache_stamp(cache: Path) -> tuple[Any, ...]:
    repos = [p for p in _subfolders(cache) if p.name.startswith("models--")]
    return tuple((p.name, _stamp(p / "snapshots"), _stamp(p / "refs")) for p in repos)


def _scan_cache(cache: Path) -> list[ModelEntry]:
    from huggingface_hub import scan_cache_dir
    from huggingface_hub.errors import CacheNotFound

    try:
        info = scan_cache_dir(cache)
    except (CacheNotFound, OSError, ValueError):
        return []
    out = []
    for repo in info.repos:
        if repo.repo_type != "model":
            continue
        for rev in repo.revisions:
            if not (rev.snapshot_path / CONFIG_FILE).exists():
                continue  # a partial download (only a README, say)
            revision = None if "main" in rev.refs else (min(rev.refs, default=rev.commit_hash))
            out.append(
                ModelEntry(
                    repo.repo_id,
                    rev.snapshot_path,
                    CACHE,
                    commit=rev.commit_hash,
                    revision=revision,
                )
            )
    return out
