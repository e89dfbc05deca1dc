"""Seeded, stratified train/val/test splits."""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Sequence


def stratified_split(
    labels: Sequence[str], val_fraction: float, test_fraction: float, seed: int
) -> tuple[list[int], list[int], list[int]]:
    """Indices of train, val and test, each label spread over the three in proportion.

    Every label with at least three examples gets at least one in val and in test.
    """
    by_label: dict[str, list[int]] = defaultdict(list)
    for i, label in enumerate(labels):
        by_label[label].append(i)
    rng = random.Random(seed)
    train, val, test = [], [], []
    for label in sorted(by_label):
        idx = by_label[label]
        rng.shuffle(idx)
        n = len(idx)
        n_test, n_val = _share(n, test_fraction), _share(n, val_fraction)
        test += idx[:n_test]
        val += idx[n_test : n_test + n_val]
        train += idx[n_test + n_val :]
    return sorted(train), sorted(val), sorted(test)


def stratified_subsample(labels: Sequence[str], n: int, seed: int) -> list[int]:
    """Exactly ``n`` indices (or all, if fewer) keeping each label's share (largest remainders)."""
    if n >= len(labels):
        return list(range(len(labels)))
    by_label: dict[str, list[int]] = defaultdict(list)
    for i, label in enumerate(labels):
        by_label[label].append(i)
    quotas = {label: n * len(idx) / len(labels) for label, idx in by_label.items()}
    counts = {label: int(q) for label, q in quotas.items()}
    by_remainder = sorted(quotas, key=lambda label: (counts[label] - quotas[label], label))
    for label in by_remainder[: n - sum(counts.values())]:
        counts[label] += 1
    rng = random.Random(seed)
    keep = []
    for label in sorted(by_label):
        idx = list(by_label[label])
        rng.shuffle(idx)
        keep += idx[: counts[label]]
    return sorted(keep)


def _share(n: int, fraction: float) -> int:
    """How many of a label's ``n`` examples a split with ``fraction`` gets."""
    if fraction <= 0 or n < 3:
        return 0
    return min(n - 1, max(1, round(n * fraction)))
