"""Where a run's examples come from: a built-in dataset or the user's own file, cleaned.

Every data module asks this module for its examples before splitting, so built-in data and
user files take the same path through tokenization, splitting and training:

- ``load_labelled_texts``: classification, ``(texts, labels)`` with string labels;
- ``load_regression_texts``: regression, ``(texts, values)`` with float targets;
- ``load_corpus``: language modelling and masked-LM pretraining, a list of documents;
- ``load_text_pairs``: seq2seq from a user file, ``(sources, targets)`` (the built-in
  seq2seq datasets bring their own held-out splits, see ``seq2seq_data``);
- ``load_images``: image classification, ``(images (N, C, H, W) float32 in [0, 1], labels)``.

Text cleaning (``config.clean``) is applied here, to every text, before anything else sees it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import numpy as np

from lightning_modules.data.builtin.registry import get_dataset
from lightning_modules.data.cleaning import clean_text, clean_texts
from lightning_modules.data.pairs import Pair, PairSplits, split_pairs
from lightning_modules.data.user import tables
from lightning_modules.data.user.files import (
    TABLE_SUFFIXES,
    TEXT_SUFFIXES,
    read_documents,
    require_suffix,
)
from lightning_modules.data.user.images import read_images
from paretolab.config import RunConfig
from paretolab.errors import UserError


def load_labelled_texts(config: RunConfig) -> tuple[list[str], list[str]]:
    """Texts and their class labels (strings)."""
    if config.data.dataset == "file":
        require_suffix(config.data.path, config.task, TABLE_SUFFIXES)
        return tables.labelled_texts(config.data, _cleaner(config))
    texts, labels = get_dataset(config.data.dataset).load()
    return _clean(config, texts), list(labels)


def load_regression_texts(config: RunConfig) -> tuple[list[str], list[float]]:
    """Texts and their numeric targets; only user files carry numeric targets."""
    if config.data.dataset != "file":
        raise UserError(
            f"task=regression needs your own file with a numeric column (data.dataset=file, "
            f"data.path=…, data.label_column=…); {config.data.dataset!r} has none"
        )
    require_suffix(config.data.path, config.task, TABLE_SUFFIXES)
    return tables.regression_texts(config.data, _cleaner(config))


def load_corpus(config: RunConfig) -> list[str]:
    """Documents of running text: a built-in corpus, or a classification dataset's texts.

    A user's ``.txt`` file is one document for language modelling (its line breaks kept)
    and its paragraphs for masked-LM pretraining; a table gives its text column.
    """
    data = config.data
    if data.dataset == "file":
        require_suffix(data.path, config.task, TEXT_SUFFIXES + TABLE_SUFFIXES)
        if data.path.lower().endswith(TEXT_SUFFIXES):
            split = config.task != "language_modeling"
            return read_documents(data.path, data.max_file_mb, split, _cleaner(config))
        return tables.text_column(data, _cleaner(config))
    info = get_dataset(config.data.dataset)
    loaded = info.load()
    docs = loaded if info.tasks[0] == "language_modeling" else loaded[0]
    return _clean(config, docs)


def load_text_pairs(config: RunConfig) -> tuple[list[str], list[str]]:
    """Source and target sequences of a user's seq2seq file."""
    require_suffix(config.data.path, config.task, TABLE_SUFFIXES)
    return tables.text_pairs(config.data, _cleaner(config))


def load_pair_splits(config: RunConfig) -> PairSplits:
    """Seq2seq train/val/test pairs: a built-in generator's held-out splits, or the user's
    file split at random (seeded by ``data.split_seed``)."""
    data = config.data
    if data.dataset == "file":
        sources, targets = load_text_pairs(config)
        pairs = [Pair(s, t) for s, t in zip(sources, targets, strict=True)]
        return split_pairs(pairs, data.val_fraction, data.test_fraction, data.split_seed)
    return get_dataset(data.dataset).load(data)


def load_images(config: RunConfig) -> tuple[np.ndarray, list[str]]:
    """Images ``(N, C, H, W)`` float32 in [0, 1] and their class labels (strings)."""
    if config.data.dataset == "file":
        return read_images(config.data.path, config.data.max_file_mb)
    images, labels = get_dataset(config.data.dataset).load()
    return images, list(labels)


def _clean(config: RunConfig, texts: list[str]) -> list[str]:
    """The texts after ``config.clean``'s switches (see ``cleaning``)."""
    return clean_texts(texts, config.clean)


def _cleaner(config: RunConfig) -> Callable[[str], str]:
    """``config.clean`` as a function of one text (user files clean while reading, so an
    example emptied by cleaning is reported with its line)."""
    return partial(clean_text, cfg=config.clean)
