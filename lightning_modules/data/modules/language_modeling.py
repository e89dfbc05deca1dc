"""The language-modelling data module: one token stream, split by position, cut into windows.

The corpus is concatenated and split 90/5/5 by position (as nanoGPT does). Training draws
random windows of ``data.max_length + 1`` tokens (inputs and next-token targets); val and
test walk non-overlapping windows, so the reported loss covers the whole split.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset

from lightning_modules.data.modules.base import SplitDataModule
from lightning_modules.data.sources import load_corpus
from lightning_modules.data.tokenization import tokenizer_for_run
from paretolab.config import RunConfig
from paretolab.errors import UserError


class TokenWindows(Dataset):
    """Windows of ``length + 1`` tokens from one stream: random (training) or consecutive."""

    def __init__(self, tokens: np.ndarray, length: int, random: bool, windows_per_epoch: int = 0):
        self.tokens, self.length, self.random = tokens, length, random
        self.count = windows_per_epoch if random else max(0, (len(tokens) - 1) // length)

    def __len__(self) -> int:
        return self.count

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        if self.random:
            start = int(torch.randint(0, len(self.tokens) - self.length - 1, ()).item())
        else:
            start = i * self.length
        chunk = torch.from_numpy(self.tokens[start : start + self.length + 1].astype(np.int64))
        return {"input_ids": chunk[:-1], "labels": chunk[1:]}


class LanguageModelingData(SplitDataModule):
    """Splits a built-in corpus, trains the tokenizer on the training part, serves windows."""

    shuffle_train = False  # training windows are drawn at random already

    def __init__(self, config: RunConfig, run_dir: Path):
        super().__init__(config, run_dir)
        self.vocab_size = 0
        self.chars_per_token = 1.0
        self.tokenizer = None

    def setup(self, stage: str | None = None) -> None:
        """Load, split, tokenize. Idempotent."""
        if self.splits:
            return
        data, tok_cfg = self.config.data, self.config.tokenizer
        text = "\n\n".join(load_corpus(self.config))
        if data.limit_samples:  # a prefix of the corpus, in characters / 100
            text = text[: data.limit_samples * 100]
        n = len(text)
        n_val, n_test = int(n * data.val_fraction), int(n * data.test_fraction)
        parts = {
            "train": text[: n - n_val - n_test],
            "val": text[n - n_val - n_test : n - n_test],
            "test": text[n - n_test :],
        }
        self.tokenizer = tokenizer_for_run(
            self.run_dir,
            lambda: parts["train"].splitlines(keepends=True),
            tok_cfg,
            decodable=True,  # samples are decoded to text
            model=self.config.model,
        )
        self.vocab_size = self.tokenizer.get_vocab_size()
        length = data.max_length
        for name, part in parts.items():
            tokens = np.asarray(self.tokenizer.encode(part).ids, dtype=np.int32)
            if name == "val":
                self.chars_per_token = len(part) / max(len(tokens), 1)
            if len(tokens) < length + 2:
                raise UserError(
                    f"the {name} split has {len(tokens)} tokens, fewer than data.max_length={length} + 2; "
                    "use more data (data.limit_samples) or a shorter data.max_length"
                )
            per_epoch = max(1, len(tokens) // length)
            if self.config.trainer.compile:
                # Whole batches on every rank: a smaller last batch would compile a second
                # graph (the training step is specialised to one shape), and DDP's sampler
                # deals the windows out across the ranks. Windows are drawn at random, so
                # a few more per epoch change nothing else.
                whole = data.batch_size * self.config.hardware.world_size()
                per_epoch = -(-per_epoch // whole) * whole
            self.splits[name] = TokenWindows(
                tokens, length, random=name == "train", windows_per_epoch=per_epoch
            )
