"""The text classification data module: load, split, train the tokenizer, encode, batch."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from tokenizers import Tokenizer
from torch.utils.data import Dataset

from lightning_modules.data.augment import TokenNoise
from lightning_modules.data.modules.base import SplitDataModule
from lightning_modules.data.sources import load_labelled_texts
from lightning_modules.data.tokenization import (
    CLS,
    MASK,
    SPECIAL_TOKENS,
    encode_texts,
    special_wrap,
    tokenizer_for_run,
)
from paretolab.config import RunConfig

_CROP_SPAN = 8  # random crops draw from the first 8 windows' worth of a training text


class EncodedTexts(Dataset):
    """Token id lists with a class id or numeric target each, served as ``max_length``
    windows wrapped in the model's special tokens (``prefix`` … ``suffix``).

    With ``noise`` (training only) each access takes a fresh random window and noise. With
    ``windows`` above 1 an item is the text's first ``windows`` consecutive windows (a list
    of id lists): ``pad_batch`` stacks them and the task averages their scores per text.
    """

    def __init__(
        self,
        ids: list[list[int]],
        labels: list[int] | list[float],
        max_length: int,
        prefix: Sequence[int] = (),
        suffix: Sequence[int] = (),
        noise: TokenNoise | None = None,
        windows: int = 1,
    ):
        self.ids, self.labels = ids, labels
        self.prefix, self.suffix = list(prefix), list(suffix)
        self.noise, self.windows = noise, windows
        self.length = max(1, max_length - len(self.prefix) - len(self.suffix))

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, i: int) -> tuple[list[int] | list[list[int]], int | float]:
        ids = self.ids[i]
        if self.noise is not None:
            return self._wrap(self.noise(self.noise.window(ids, self.length))), self.labels[i]
        if self.windows == 1:
            return self._wrap(ids[: self.length]), self.labels[i]
        starts = range(0, min(len(ids), self.length * self.windows), self.length)
        return [self._wrap(ids[s : s + self.length]) for s in starts], self.labels[i]

    def _wrap(self, ids: list[int]) -> list[int]:
        return [*self.prefix, *ids, *self.suffix]


def pad_batch(items: list[tuple[Any, int | float]]) -> dict[str, torch.Tensor]:
    """Pad to the longest sequence in the batch (pad id 0); mask is True on real tokens.

    Items of several windows (``EncodedTexts`` with ``windows`` > 1) become one row per
    window, and ``text_of_row`` says which item each row belongs to.
    """
    rows: list[list[int]] = []
    owner: list[int] = []
    windowed = any(ids and isinstance(ids[0], list) for ids, _ in items)
    for k, (ids, _) in enumerate(items):
        windows = ids if windowed and ids and isinstance(ids[0], list) else [ids]
        rows += windows
        owner += [k] * len(windows)
    longest = max(len(r) for r in rows)
    input_ids = torch.zeros(len(rows), longest, dtype=torch.long)
    for row, seq in enumerate(rows):
        input_ids[row, : len(seq)] = torch.tensor(seq, dtype=torch.long)
    # Class ids stay int64 (cross-entropy); regression targets are floats and become float32.
    labels = torch.tensor([label for _, label in items])
    batch = {"input_ids": input_ids, "attention_mask": input_ids != 0, "labels": labels}
    if windowed:
        batch["text_of_row"] = torch.tensor(owner, dtype=torch.long)
    return batch


class TextClassificationData(SplitDataModule):
    """Splits a built-in dataset, trains the tokenizer on train only, and serves batches.

    Args:
        config: the run config (its ``data`` and ``tokenizer`` sections are used).
        run_dir: the run's folder; the tokenizer is saved there (and reused if present,
            so a resumed run keeps its vocabulary).
    """

    collate_fn = staticmethod(pad_batch)

    def __init__(self, config: RunConfig, run_dir: Path):
        super().__init__(config, run_dir)
        self.class_names: list[str] = []
        self.vocab_size = 0

    def setup(self, stage: str | None = None) -> None:
        """Load, split, tokenize. Idempotent: the train entry calls it before building the model."""
        if self.splits:
            return
        texts, labels = load_labelled_texts(self.config)
        keep = self.limit_indices(labels)
        if keep is not None:
            texts, labels = [texts[i] for i in keep], [labels[i] for i in keep]
        self.class_names = sorted(set(labels))
        label_ids = [self.class_names.index(label) for label in labels]
        parts = dict(zip(("train", "val", "test"), self.split_indices(labels), strict=True))
        tok, self.splits = encode_text_splits(self.config, self.run_dir, texts, label_ids, parts)
        self.vocab_size = tok.get_vocab_size()


def encode_text_splits(
    config: RunConfig,
    run_dir: Path,
    texts: Sequence[str],
    targets: Sequence[Any],
    parts: dict[str, list[int]],
) -> tuple[Tokenizer, dict[str, EncodedTexts]]:
    """Train (or reload) the run's tokenizer on ``parts["train"]`` and encode every part.

    Args:
        config: the run config (``data``, ``tokenizer``, ``augment``, ``model.pooling``).
        run_dir: where the tokenizer is saved (and reused from, so a resumed run keeps it).
        texts: all examples' texts.
        targets: all examples' class ids or numeric targets.
        parts: split name → indices into ``texts``; ``train`` is required.

    Returns:
        The tokenizer, and one ``EncodedTexts`` per part (augmentation on ``train`` only).
    """
    data, aug = config.data, config.augment
    tok = tokenizer_for_run(
        run_dir, lambda: [texts[i] for i in parts["train"]], config.tokenizer, model=config.model
    )
    prefix, suffix = window_wrap(tok, config)
    noise = TokenNoise(aug, tok.token_to_id(MASK), tok.get_vocab_size(), len(SPECIAL_TOKENS))
    windows = data.eval_windows
    splits = {}
    for name, idx in parts.items():
        # Training texts keep more than one window's worth of tokens for random crops.
        train_crop = name == "train" and aug.random_crop
        span = max(_CROP_SPAN, windows) if train_crop else (1 if name == "train" else windows)
        ids = encode_texts(tok, [texts[i] for i in idx], data.max_length * span, False)
        train_noise = noise if name == "train" and aug.enabled() else None
        splits[name] = EncodedTexts(
            ids,
            [targets[i] for i in idx],
            data.max_length,
            prefix,
            suffix,
            train_noise,
            windows=1 if name == "train" else windows,
        )
    return tok, splits


def window_wrap(tok: Tokenizer, config: RunConfig) -> tuple[list[int], list[int]]:
    """The tokens around every window of a run's texts: a checkpoint's own ([CLS] … [SEP]),
    or [CLS] first for our encoders that pool it (``model.pooling: cls``)."""
    prefix, suffix = special_wrap(tok)
    if not prefix and config.model.pooling == "cls":
        prefix = [tok.token_to_id(CLS)]
    return prefix, suffix


def text_windows(tok: Tokenizer, config: RunConfig, text: str) -> list[list[int]]:
    """``text`` as its run's val and test examples are: its first ``data.eval_windows``
    windows of ``data.max_length`` tokens, each wrapped (one window when that is 1)."""
    n, length = config.data.eval_windows, config.data.max_length
    ids = encode_texts(tok, [text], length * n, False)
    prefix, suffix = window_wrap(tok, config)
    item, _ = EncodedTexts(ids, [0], length, prefix, suffix, windows=n)[0]
    return item if n > 1 else [item]
