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

import numpy as np

from lightning_modules.data.registry import get_dataset
from paretolab.config import RunConfig
from paretolab.errors import UserError


def load_labelled_texts(config: RunConfig) -> tuple[list[str], list[str]]:
    """Texts and their class labels (strings)."""
    if config.data.dataset == "file":
        raise UserError("data.dataset=file is not readable yet")  # filled in by user_files
    texts, labels = get_dataset(config.data.dataset).load()
    return _clean(config, texts), list(labels)


def load_regression_texts(config: RunConfig) -> tuple[list[str], list[float]]:
    """Texts and their numeric targets; only user files carry numeric targets."""
    if config.data.dataset != "file":
        raise UserError(
            f"task=regression needs your own file with a numeric column (data.dataset=file, "
            f"data.path=…, data.label_column=…); {config.data.dataset!r} has none"
        )
    raise UserError("data.dataset=file is not readable yet")  # filled in by user_files


def load_corpus(config: RunConfig) -> list[str]:
    """Documents of running text: a built-in corpus, or a classification dataset's texts."""
    if config.data.dataset == "file":
        raise UserError("data.dataset=file is not readable yet")  # filled in by user_files
    info = get_dataset(config.data.dataset)
    loaded = info.load()
    docs = loaded if info.tasks[0] == "language_modeling" else loaded[0]
    return _clean(config, docs)


def load_text_pairs(config: RunConfig) -> tuple[list[str], list[str]]:
    """Source and target sequences of a user's seq2seq file."""
    raise UserError("data.dataset=file is not readable yet")  # filled in by user_files


def load_images(config: RunConfig) -> tuple[np.ndarray, list[str]]:
    """Images ``(N, C, H, W)`` float32 in [0, 1] and their class labels (strings)."""
    if config.data.dataset == "file":
        raise UserError("data.dataset=file is not readable yet")  # filled in by user_files
    images, labels = get_dataset(config.data.dataset).load()
    return images, list(labels)


def _clean(config: RunConfig, texts: list[str]) -> list[str]:
    """The texts after ``config.clean``'s switches (see ``cleaning``)."""
    return list(texts)  # filled in by cleaning
