"""The masked-LM data module: documents split into train/val/test, cut into windows, masked.

Every ``data.max_length`` window of every document is an example (pretraining wants all the
text, not only each document's beginning). Training windows get fresh masks each time they
are read; val and test windows get masks seeded by their index, the same every epoch, so
validation loss is comparable from one epoch (and run) to the next.

For a labelled built-in dataset (``bbc_news``…) the documents are split exactly as a
classification run with the same ``data`` settings splits them, so a classifier fine-tuned
from this run is never tested on texts the pretraining saw.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch.utils.data import Dataset

from lightning_modules.data.builtin.registry import get_dataset
from lightning_modules.data.masking import BertMasking, pad_masked_batch
from lightning_modules.data.modules.base import SplitDataModule
from lightning_modules.data.sources import load_corpus, load_labelled_texts
from lightning_modules.data.splits import stratified_subsample
from lightning_modules.data.tokenization import (
    CLS,
    MASK,
    SPECIAL_TOKENS,
    encode_texts,
    tokenizer_for_run,
)
from paretolab.config import RunConfig
from paretolab.errors import UserError

_ALL_TOKENS = 1 << 62  # encode_texts' truncation limit: keep every token of a document


def cut_windows(ids: list[int], length: int, cls_id: int | None = None) -> list[list[int]]:
    """Consecutive windows of ``length`` tokens covering all of ``ids`` ([CLS] first if given)."""
    size = length - (cls_id is not None)
    prefix = [cls_id] if cls_id is not None else []
    return [prefix + ids[start : start + size] for start in range(0, len(ids), size)]


class MaskedWindows(Dataset):
    """Token windows masked on access.

    Args:
        windows: token id lists.
        masking: the masking rule.
        fixed_seed: None draws fresh masks on every access (training); a seed makes the
            mask of window ``i`` depend only on ``(fixed_seed, i)`` (val and test).
    """

    def __init__(self, windows: list[list[int]], masking: BertMasking, fixed_seed: int | None):
        self.windows, self.masking, self.fixed_seed = windows, masking, fixed_seed

    def __len__(self) -> int:
        return len(self.windows)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        generator = None
        if self.fixed_seed is not None:
            generator = torch.Generator().manual_seed(self.fixed_seed * 1_000_003 + i)
        return self.masking(torch.tensor(self.windows[i], dtype=torch.long), generator)


class MaskedLMData(SplitDataModule):
    """Splits a corpus by document, trains the tokenizer on train only, serves masked windows."""

    collate_fn = staticmethod(pad_masked_batch)

    def __init__(self, config: RunConfig, run_dir: Path):
        super().__init__(config, run_dir)
        self.vocab_size = 0
        self.tokenizer = None

    def setup(self, stage: str | None = None) -> None:
        """Load, split, tokenize, cut into windows. Idempotent."""
        if self.splits:
            return
        data = self.config.data
        docs, groups = _documents(self.config)
        if data.limit_samples:
            keep = stratified_subsample(groups, data.limit_samples, data.split_seed)
            docs, groups = [docs[i] for i in keep], [groups[i] for i in keep]
        parts = self.split_indices(groups)
        tok = tokenizer_for_run(
            self.run_dir, lambda: [docs[i] for i in parts[0]], self.config.tokenizer
        )
        self.tokenizer, self.vocab_size = tok, tok.get_vocab_size()
        masking = BertMasking(
            data.mlm_probability, tok.token_to_id(MASK), self.vocab_size, len(SPECIAL_TOKENS)
        )
        # Same layout as the classifier's inputs, so a fine-tune with cls pooling finds its
        # [CLS] token where pretraining put it.
        cls_id = tok.token_to_id(CLS) if self.config.model.pooling == "cls" else None
        for name, idx in zip(("train", "val", "test"), parts, strict=True):
            windows = [
                window
                for ids in encode_texts(tok, [docs[i] for i in idx], _ALL_TOKENS)
                for window in cut_windows(ids, data.max_length, cls_id)
                if max(window) >= len(SPECIAL_TOKENS)  # something to mask (not only [UNK])
            ]
            if not windows:
                larger = "" if name == "train" else f" or a larger data.{name}_fraction"
                raise UserError(
                    f"the {name} split of the masked-LM corpus is empty ({len(docs)} documents); "
                    f"use more data (data.limit_samples){larger}"
                )
            seed = None if name == "train" else data.split_seed
            self.splits[name] = MaskedWindows(windows, masking, seed)


def _documents(config: RunConfig) -> tuple[list[str], list[str]]:
    """The corpus's documents and the groups its split is stratified by.

    Labelled built-in datasets group by label (the classification split); any other corpus
    is one group, split at random by document.
    """
    dataset = config.data.dataset
    if dataset != "file" and get_dataset(dataset).tasks[0] == "classification":
        return load_labelled_texts(config)
    docs = load_corpus(config)
    return docs, ["document"] * len(docs)
