"""Source → target example pairs for seq2seq, and their held-out splits."""

from __future__ import annotations

import random
from typing import NamedTuple


class Pair(NamedTuple):
    """One seq2seq example; ``group`` names the slice of the test set it belongs to
    (e.g. ``small``, ``round``, ``random`` numbers), reported separately at test time."""

    source: str
    target: str
    group: str = "all"


PairSplits = dict[str, list[Pair]]
"""``{"train": [...], "val": [...], "test": [...]}``."""


def split_pairs(
    pairs: list[Pair], val_fraction: float, test_fraction: float, seed: int
) -> PairSplits:
    """A seeded random split that keeps each group's share in every split (at least one
    val and one test example per group of three or more)."""
    by_group: dict[str, list[Pair]] = {}
    for pair in pairs:
        by_group.setdefault(pair.group, []).append(pair)
    rng = random.Random(seed)
    splits: PairSplits = {"train": [], "val": [], "test": []}
    for group in sorted(by_group):
        members = by_group[group]
        rng.shuffle(members)
        n = len(members)
        n_test = _share(n, test_fraction)
        n_val = _share(n - n_test, val_fraction * n / max(n - n_test, 1))
        splits["test"] += members[:n_test]
        splits["val"] += members[n_test : n_test + n_val]
        splits["train"] += members[n_test + n_val :]
    return splits


def _share(n: int, fraction: float) -> int:
    if n < 3:
        return 0
    return min(n - 1, max(1, round(n * fraction)))
