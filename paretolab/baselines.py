"""Classical baselines, stored per data split: which runs a baseline compares with, and where
its result lives. No torch (training one is ``lightning_modules.baseline``).

A baseline is not a Transformer run — it has no steps, checkpoints or process to cancel —
so it is not a row in the run store: its result is one JSON file per split under
``$PARETOLAB_HOME/baselines/``, named by the split's key. Runs whose configs give the same
key saw the same train/val/test examples, so their metrics and the baseline's compare.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from paretolab import settings
from paretolab.config import RunConfig

# Tasks with a classical baseline (lightning_modules.baseline).
BASELINE_TASKS = ("classification", "image_classification", "regression")
# The config fields that decide which examples land in train, val and test.
_SPLIT_FIELDS = (
    "dataset",
    "path",
    "text_column",
    "label_column",
    "limit_samples",
    "val_fraction",
    "test_fraction",
    "split_seed",
    "train_fraction",
)


def split_key(config: RunConfig) -> str:
    """A short key naming the run's train/val/test split (same key, same examples)."""
    identity = {
        "task": config.task,
        **{f: getattr(config.data, f) for f in _SPLIT_FIELDS},
        "clean": config.clean.model_dump(mode="json"),
    }
    text = json.dumps(identity, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def split_label(config: RunConfig) -> str:
    """A readable name of the split, e.g. ``bbc_news · 300 examples · seed 0``."""
    d = config.data
    source = Path(d.path).name if d.dataset == "file" and d.path else d.dataset
    size = f"{d.limit_samples} examples" if d.limit_samples else "all examples"
    share = f" · {d.train_fraction:.0%} of train" if d.train_fraction < 1 else ""
    return f"{config.task} · {source} · {size} · split seed {d.split_seed}{share}"


def baselines_dir() -> Path:
    """Where baseline results are kept."""
    return settings.home_dir() / "baselines"


def save_baseline(key: str, result: dict[str, Any]) -> Path:
    """Write a baseline result atomically (a half-written file is never read)."""
    folder = baselines_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{key}.json"
    tmp = folder / f".{key}.{os.getpid()}.tmp"
    tmp.write_text(json.dumps(result, indent=1), encoding="utf-8")
    os.replace(tmp, path)
    return path


def load_baseline(key: str) -> dict[str, Any] | None:
    """The stored baseline of a split, or None."""
    path = baselines_dir() / f"{key}.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
