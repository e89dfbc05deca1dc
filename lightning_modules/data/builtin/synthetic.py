"""Synthetic algorithmic seq2seq tasks on digit strings: copy, reverse, sort, addition.

Lengths come from ``data.sequence_length`` (digits per operand for addition); examples are
distinct, so val and test inputs never occur in training.
"""

from __future__ import annotations

import random

from lightning_modules.data.pairs import Pair, PairSplits, split_pairs
from paretolab.config import DataConfig
from paretolab.errors import UserError

_TARGETS = {
    "copy": lambda s: s,
    "reverse": lambda s: s[::-1],
    "sort": lambda s: "".join(sorted(s)),
}


def synthetic_pairs(task: str, data: DataConfig) -> PairSplits:
    """Up to ``data.num_examples`` distinct examples of ``task``, split at random."""
    rng = random.Random(data.split_seed)
    lo, hi = data.sequence_length
    lo = max(lo, 1)
    seen: set[str] = set()
    pairs: list[Pair] = []
    # Short lengths hold few distinct inputs; stop once draws keep repeating.
    misses = 0
    while len(pairs) < data.num_examples and misses < 2 * data.num_examples + 1000:
        if task == "addition":
            a, b = (_number(rng, rng.randint(lo, hi)) for _ in range(2))
            source, target = f"{a}+{b}", str(a + b)
        else:
            source = "".join(rng.choice("0123456789") for _ in range(rng.randint(lo, hi)))
            target = _TARGETS[task](source)
        if source in seen:
            misses += 1
            continue
        seen.add(source)
        pairs.append(Pair(source, target))
    if len(pairs) < 50:
        raise UserError(
            f"data.sequence_length={[lo, hi]} allows only {len(pairs)} distinct {task} "
            "examples; allow longer sequences"
        )
    return split_pairs(pairs, data.val_fraction, data.test_fraction, data.split_seed)


def _number(rng: random.Random, digits: int) -> int:
    """A number with exactly ``digits`` digits (0 included for one digit)."""
    return rng.randint(0 if digits == 1 else 10 ** (digits - 1), 10**digits - 1)
