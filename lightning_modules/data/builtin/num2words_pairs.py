"""English → French (or any num2words language pair) number phrases, with held-out numbers.

Uniform draws from 0–999,999 are nine times in ten six-digit numbers, so the examples
mix four strata, each split into train/val/test on its own (so every number in val and
test is unseen in training, and test covers each stratum):

- ``small``: every number below 100 in range (the irregular words: onze, quatre-vingts…);
- ``round``: d × 10^k from 100 up (cent, deux cents, mille, un million…);
- ``random``: the rest, a third drawn uniformly over the range, a third with a uniformly
  drawn number of digits (so 3-, 4- and 5-digit numbers are as common as 6-digit ones),
  and a third like those with their last 1–4 digits zeroed (846,000; 80,400), so that
  "thousand" or "hundred" ending a phrase is common in training, not rare.
"""

from __future__ import annotations

import random

from lightning_modules.data.pairs import Pair, PairSplits, split_pairs
from paretolab.config import DataConfig
from paretolab.errors import UserError


def number_pairs(data: DataConfig) -> PairSplits:
    """Held-out splits of ``data.num_examples`` number phrases (see the module docstring)."""
    from num2words import num2words

    lo, hi = data.number_range
    for field, lang in (("source_lang", data.source_lang), ("target_lang", data.target_lang)):
        try:
            num2words(1, lang=lang)
        except NotImplementedError:
            raise UserError(
                f"data.{field}={lang!r} is not a num2words language; try en, fr, de, es, it, "
                "pt, nl, ru, ja or another code from num2words' documentation"
            ) from None
    numbers = sample_numbers(lo, hi, data.num_examples, data.split_seed)

    def pair(n: int, group: str) -> Pair:
        return Pair(num2words(n, lang=data.source_lang), num2words(n, lang=data.target_lang), group)

    pairs = [pair(n, group) for group, members in numbers.items() for n in members]
    return split_pairs(pairs, data.val_fraction, data.test_fraction, data.split_seed)


def sample_numbers(lo: int, hi: int, count: int, seed: int) -> dict[str, list[int]]:
    """Distinct numbers in ``[lo, hi]`` by stratum: all small, all round, then random ones
    until there are ``count`` in all (or the range is used up)."""
    small = list(range(lo, min(hi, 99) + 1))
    round_ = sorted(
        {d * 10**k for k in range(2, 13) for d in range(1, 10) if lo <= d * 10**k <= hi}
    )
    taken = set(small) | set(round_)
    wanted = min(count, hi - lo + 1) - len(taken)
    rng = random.Random(seed)
    digits_lo, digits_hi = len(str(max(lo, 100))), len(str(hi))
    randoms: list[int] = []
    while len(randoms) < wanted:
        draw = rng.randrange(3)
        if draw == 0 or digits_lo > digits_hi:
            n = rng.randint(lo, hi)
        else:  # a uniformly drawn number of digits, then a number with that many
            digits = rng.randint(digits_lo, digits_hi)
            n = rng.randint(max(lo, 10 ** (digits - 1)), min(hi, 10**digits - 1))
            if draw == 2:
                zeros = 10 ** rng.randint(1, min(4, digits - 1))
                n = n // zeros * zeros
        if lo <= n <= hi and n not in taken:
            taken.add(n)
            randoms.append(n)
    if len(small) + len(round_) + len(randoms) < 50:
        raise UserError(f"data.number_range={[lo, hi]} holds too few numbers to train on; widen it")
    return {"small": small, "round": round_, "random": randoms}
