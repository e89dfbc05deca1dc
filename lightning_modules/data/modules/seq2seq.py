"""The seq2seq data module: held-out pairs, a tokenizer per side, teacher-forcing batches.

Targets are framed as ``[CLS] y1 … yn`` (decoder input) and ``y1 … yn [SEP]`` (labels):
[CLS] starts decoding and [SEP] ends it. Source and target tokenizers are trained on the
training split only and saved with the run (``tokenizer.json``, ``target_tokenizer.json``).
"""

from __future__ import annotations

import torch
from tokenizers import Tokenizer
from torch.utils.data import Dataset

from lightning_modules.data.modules.base import SplitDataModule
from lightning_modules.data.pairs import Pair
from lightning_modules.data.sources import load_pair_splits
from lightning_modules.data.tokenization import (
    CLS,
    SEP,
    TARGET_TOKENIZER_FILE,
    encode_texts,
    tokenizer_for_run,
)


class EncodedPairs(Dataset):
    """Source ids, target ids and a group index per example."""

    def __init__(self, sources: list[list[int]], targets: list[list[int]], groups: list[int]):
        self.sources, self.targets, self.groups = sources, targets, groups

    def __len__(self) -> int:
        return len(self.sources)

    def __getitem__(self, i: int) -> tuple[list[int], list[int], int]:
        return self.sources[i], self.targets[i], self.groups[i]


def make_pad_pairs(bos_id: int, eos_id: int, pad_id: int = 0, label_pad: int = 0):
    """A collate function framing targets with ``bos_id``/``eos_id``, padding sources and
    decoder inputs with ``pad_id`` and labels with ``label_pad``."""

    def pad_pairs(items: list[tuple[list[int], list[int], int]]) -> dict[str, torch.Tensor]:
        B = len(items)
        S = max(len(s) for s, _, _ in items)
        T = max(len(t) for _, t, _ in items) + 1
        source = torch.full((B, S), pad_id, dtype=torch.long)
        source_mask = torch.zeros(B, S, dtype=torch.bool)
        target_in = torch.full((B, T), pad_id, dtype=torch.long)
        labels = torch.full((B, T), label_pad, dtype=torch.long)
        for row, (src, tgt, _) in enumerate(items):
            source[row, : len(src)] = torch.tensor(src)
            source_mask[row, : len(src)] = True
            target_in[row, : len(tgt) + 1] = torch.tensor([bos_id, *tgt])
            labels[row, : len(tgt) + 1] = torch.tensor([*tgt, eos_id])
        groups = torch.tensor([g for _, _, g in items], dtype=torch.long)
        return {
            "source": source,
            "source_mask": source_mask,
            "target_in": target_in,
            "labels": labels,
            "group": groups,
        }

    return pad_pairs


class Seq2SeqData(SplitDataModule):
    """Loads held-out pairs (built-in or the user's file), trains both tokenizers, batches.

    After ``setup``: ``source_tokenizer``, ``target_tokenizer``, their vocabulary sizes,
    ``bos_id``/``eos_id``, ``group_names`` and ``max_target_tokens`` (the decoding limit).
    """

    # Padding ids of the batches: 0 is [PAD] in the tokenizers trained here.
    pad_id = 0
    label_pad = 0

    def setup(self, stage: str | None = None) -> None:
        """Load, tokenize, encode. Idempotent."""
        if self.splits:
            return
        cfg = self.config
        pairs = load_pair_splits(cfg)
        train = pairs["train"]
        self.source_tokenizer, self.target_tokenizer = self.make_tokenizers(train)
        self.source_vocab = self.source_tokenizer.get_vocab_size()
        self.target_vocab = self.target_tokenizer.get_vocab_size()
        self.set_special_ids()
        self.group_names = sorted({p.group for split in pairs.values() for p in split})
        length = cfg.data.max_length
        for name, split in pairs.items():
            sources = encode_texts(self.source_tokenizer, [p.source for p in split], length)
            targets = self.encode_targets([p.target for p in split], length - 1)
            groups = [self.group_names.index(p.group) for p in split]
            self.splits[name] = EncodedPairs(sources, targets, groups)
        longest = max(len(t) for t in self.splits["train"].targets) + 1
        # Room for held-out targets a little longer than any seen in training.
        self.max_target_tokens = min(length, longest + max(2, longest // 4))
        self.collate_fn = make_pad_pairs(self.bos_id, self.eos_id, self.pad_id, self.label_pad)

    def make_tokenizers(self, train: list[Pair]) -> tuple[Tokenizer, Tokenizer]:
        """The source and target tokenizers, trained on the training pairs (or read back)."""
        cfg = self.config
        # Both sides are decodable: translations.jsonl shows sources and outputs as text.
        source = tokenizer_for_run(
            self.run_dir, lambda: [p.source for p in train], cfg.tokenizer, decodable=True
        )
        target_kind = cfg.tokenizer.target_kind
        target = tokenizer_for_run(
            self.run_dir,
            lambda: [p.target for p in train],
            cfg.tokenizer,
            TARGET_TOKENIZER_FILE,
            kind=None if target_kind == "same" else target_kind,
            decodable=True,
        )
        return source, target

    def set_special_ids(self) -> None:
        """``bos_id`` (starts decoding) and ``eos_id`` (ends it): [CLS] and [SEP]."""
        self.bos_id = self.target_tokenizer.token_to_id(CLS)
        self.eos_id = self.target_tokenizer.token_to_id(SEP)

    def encode_targets(self, texts: list[str], max_tokens: int) -> list[list[int]]:
        """Target ids per text, at most ``max_tokens`` (the collate adds the end token)."""
        return encode_texts(self.target_tokenizer, texts, max_tokens)
