"""Look inside a trained run: attention of every layer and head, rollout, saliency.

    from lightning_modules.inspection import load_run, text_example, extract, save_npz
    run = load_run(3, "best")
    maps = extract(run, text_example(run, "the match ended in a draw"))
    save_npz(maps, "attention.npz")

``loading`` (run + checkpoint → model and tokenizers), ``inputs`` (samples, text,
images), ``extraction`` (``extract``: the explicit-path pass), ``pretrained`` (its
eager-attention form for Hugging Face models), ``batching`` (what both share), ``rollout``,
``saliency``, ``maps`` (the result and its ``.npz`` arrays), ``cli`` (``paretolab attention``).

The names below load on first use: ``paretolab`` imports ``inspection.cli`` to build its
parser, and that must not pull in torch (every command, ``--help`` included, would wait).
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_HOMES = {
    "extract": "extraction",
    "extract_batch": "extraction",
    "SPLITS": "inputs",
    "DatasetSamples": "inputs",
    "Example": "inputs",
    "image_example": "inputs",
    "text_example": "inputs",
    "CHECKPOINTS": "loading",
    "LoadedRun": "loading",
    "load_run": "loading",
    "AttentionMaps": "maps",
    "load_npz": "maps",
    "save_npz": "maps",
    "attention_rollout": "rollout",
}

__all__ = sorted(_HOMES)


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{_HOMES[name]}"), name)
    globals()[name] = value  # later look-ups skip this function
    return value
