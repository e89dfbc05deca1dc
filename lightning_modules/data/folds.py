"""k-fold cross-validation folds, and quantile strata so numeric targets can be stratified.

Classification and images are stratified by their labels. Regression has no labels, so its
examples are stratified by quantile bins of the target (``quantile_strata``): each split and
fold then spans the whole range of values — a random split that cannot, by bad luck, leave
the extremes out of validation. Both go through the same ``stratified_split`` and
``kfold_assignment``.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Sequence

from paretolab.errors import UserError

_EXAMPLES_PER_BIN = 20  # few enough bins that each still gives val and test a share


def quantile_strata(values: Sequence[float], max_bins: int = 10) -> list[str]:
    """The quantile bin of each value, as a label ("q0" … "q9") for stratified splitting.

    Bins hold equally many examples (by rank; ties are broken by position), and there are
    at most one per ``_EXAMPLES_PER_BIN`` examples, so every bin is big enough to share.
    """
    n = len(values)
    bins = max(1, min(max_bins, n // _EXAMPLES_PER_BIN))
    order = sorted(range(n), key=lambda i: values[i])
    strata = [""] * n
    for rank, i in enumerate(order):
        strata[i] = f"q{rank * bins // n}"
    return strata


def kfold_assignment(
    strata: Sequence[str], pool: Sequence[int], k: int, seed: int
) -> list[list[int]]:
    """Cut the indices ``pool`` into ``k`` folds, each stratum spread evenly over them.

    The pool is grouped by stratum, each group shuffled (seeded), and the groups laid end
    to end and dealt out in turn — so every stratum's share of a fold differs by at most one
    from fold to fold, and so does every fold's size.

    Args:
        strata: a label (class, or value bin) for every example of the dataset.
        pool: the indices to cut (the dataset minus its held-out test split).
        k: number of folds.
        seed: ``data.split_seed``; the same seed gives the same folds.

    Returns:
        ``k`` sorted lists of indices that partition ``pool``.

    Raises:
        UserError: ``pool`` has fewer than ``k`` examples.
    """
    if len(pool) < k:
        raise UserError(
            f"data.cv_folds={k} needs at least {k} examples outside the test split, "
            f"the data has {len(pool)}; lower data.cv_folds or use more data"
        )
    by_stratum: dict[str, list[int]] = defaultdict(list)
    for i in pool:
        by_stratum[strata[i]].append(i)
    rng = random.Random(seed)
    order: list[int] = []
    for stratum in sorted(by_stratum):
        members = sorted(by_stratum[stratum])
        rng.shuffle(members)
        order += members
    folds: list[list[int]] = [[] for _ in range(k)]
    for position, i in enumerate(order):
        folds[position % k].append(i)
    return [sorted(f) for f in folds]


def kfold_split(
    strata: Sequence[str], pool: Sequence[int], k: int, fold: int, seed: int
) -> tuple[list[int], list[int]]:
    """Train and val indices of fold ``fold``: that fold validates, the other ``k - 1`` train."""
    if not 0 <= fold < k:
        raise ValueError(f"fold {fold} is not one of the {k} folds")
    folds = kfold_assignment(strata, pool, k, seed)
    train = sorted(i for j, f in enumerate(folds) if j != fold for i in f)
    return train, folds[fold]
