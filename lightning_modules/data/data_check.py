"""Check a run's own data file before the run is recorded.

The dashboard calls ``check_user_data`` directly. The CLI lives in ``paretolab``, which never
imports this package, so it runs ``python -m lightning_modules.data.data_check`` with the run
config as JSON on stdin (as it runs ``lightning_modules.run.train``): exit 0 and a one-line
summary on stdout when the file is good, exit 2 and ``paretolab: error: …`` on stderr when not.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, replace
from pathlib import Path

from lightning_modules.data.sources import (
    load_corpus,
    load_images,
    load_labelled_texts,
    load_regression_texts,
    load_text_pairs,
)
from lightning_modules.data.splits import stratified_split, stratified_subsample
from lightning_modules.data.user.files import reading_at_most
from paretolab import limits
from paretolab.check_process import child_main
from paretolab.config import RunConfig
from paretolab.errors import UserError


@dataclass(frozen=True)
class UserData:
    """What a user's data file holds, as far as a launch needs to know."""

    summary: str
    """One line, e.g. ``reviews.csv: 1,200 rows, 3 classes``."""
    num_classes: int = 0
    """Classes (classification, images); 1 for regression's single output; else 0."""
    image_shape: tuple[int, int, int] | None = None
    """``(channels, height, width)`` of image data."""


def check_user_data(config: RunConfig) -> UserData:
    """Read ``data.path`` as training will and describe what it holds.

    Only ``data.dataset=file`` is read (built-in datasets need no check).

    Raises:
        UserError: the file is missing, too big, malformed or unfit for the task; the message
            names the file, the line where there is one, and how to fix it.
    """
    if config.data.dataset != "file":
        return UserData(f"built-in dataset {config.data.dataset}")
    limit = limits.MAX_CHECK_BYTES
    with reading_at_most(limit):
        data = _read(config)
    path = Path(config.data.path)
    if path.is_file() and path.stat().st_size > limit:  # training reads the rest
        return replace(data, summary=f"{data.summary} (first {limit:,} bytes checked)")
    return data


def _read(config: RunConfig) -> UserData:
    task, name = config.task, Path(config.data.path).name
    if task == "classification":
        texts, labels = load_labelled_texts(config)
        _require_splits(config, labels)
        k = len(set(labels))
        return UserData(f"{name}: {len(texts):,} rows, {k} classes", k)
    if task == "regression":
        texts, values = load_regression_texts(config)
        return UserData(
            f"{name}: {len(texts):,} rows, targets {min(values):g} to {max(values):g}", 1
        )
    if task == "seq2seq":
        sources, _ = load_text_pairs(config)
        return UserData(f"{name}: {len(sources):,} source/target pairs")
    if task == "image_classification":
        images, labels = load_images(config)
        c, h, w = images.shape[1:]
        k = len(set(labels))
        return UserData(f"{name}: {len(labels):,} images {c}×{h}×{w}, {k} classes", k, (c, h, w))
    docs = load_corpus(config)
    chars = sum(len(d) for d in docs)
    if task == "language_modeling":
        _require_enough_text(config, chars + 2 * (len(docs) - 1))  # docs are joined by "\n\n"
    return UserData(f"{name}: {len(docs):,} document(s), {chars:,} characters")


def _require_splits(config: RunConfig, labels: list[str]) -> None:
    """Refuse labels that leave the val or test split empty (training would fail on it).

    Splits are stratified: a class needs three rows before it gives one to val and test.
    """
    d = config.data
    if d.limit_samples:
        labels = [labels[i] for i in stratified_subsample(labels, d.limit_samples, d.split_seed)]
    _, val, test = stratified_split(labels, d.val_fraction, d.test_fraction, d.split_seed)
    if val and test:
        return
    k = len(set(labels))
    raise UserError(
        f"{config.data.path}: {k} classes in {len(labels)} rows leave the "
        f"{'val' if not val else 'test'} split empty (a class gives it a row once it has 3); "
        f"give some classes at least 3 rows, or choose another data.label_column"
    )


def _require_enough_text(config: RunConfig, chars: int) -> None:
    """Refuse a corpus whose smallest split cannot hold one window of ``data.max_length``.

    No tokenizer makes more tokens than characters, so a split with fewer characters than
    a window needs tokens is certain to fail once training has started.
    """
    data = config.data
    if data.limit_samples:  # the language-model data module keeps limit_samples × 100 chars
        chars = min(chars, data.limit_samples * 100)
    smallest = min(data.val_fraction, data.test_fraction)
    if int(chars * smallest) < data.max_length + 2:
        raise UserError(
            f"{config.data.path}: {chars:,} characters of text leave "
            f"{int(chars * smallest):,} for the smallest of the val/test splits "
            f"({smallest:g}), fewer than data.max_length={data.max_length} + 2 tokens; "
            "add text or lower data.max_length"
        )


def main() -> int:
    """Read a run config (JSON) from stdin and check its data; the exit code says how it went."""
    return child_main(lambda config: check_user_data(config).summary)


if __name__ == "__main__":
    sys.exit(main())
