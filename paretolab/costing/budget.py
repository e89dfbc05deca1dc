"""How many tokens a run config trains on: its step budget, or its dataset's size × epochs.

A config that counts steps trains ``max_steps × accumulate_grad_batches`` full-length
batches. A config that counts epochs trains ``max_epochs`` passes over the training split:
the dataset's examples, less what ``limit_samples``, the validation and test shares and
``train_fraction`` take away, each a full-length sequence (padding is computed on too).
A ``max_time_minutes`` limit may stop the run sooner; the count then is an upper bound, and
the estimate says so.
"""

from __future__ import annotations

from dataclasses import dataclass

from paretolab.config import RunConfig
from paretolab.costing.shapes import ModelShape, full_batch
from paretolab.errors import UserError

# Examples in each built-in dataset (lightning_modules/data/builtin/registry.py lists their
# sizes and sources); generated datasets take theirs from `data.num_examples`.
BUILTIN_EXAMPLES = {
    "bbc_news": 2_225,
    "zh_reviews": 17_363,
    "digits": 1_797,
    "mnist": 5_000,
    "cmudict": 126_052,
}
GENERATED = ("num2words", "copy", "reverse", "sort", "addition")
# What a built-in dataset's labels and images are, which its config does not say: the
# classifier head's width and a ViT's input. lightning_modules' dataset registry reads these,
# so `paretolab cost estimate`, the Launch preview and the run count the same head.
BUILTIN_CLASSES = {"bbc_news": 5, "zh_reviews": 2, "digits": 10, "mnist": 10}
BUILTIN_IMAGES = {"digits": (1, 8, 8), "mnist": (1, 28, 28)}


@dataclass(frozen=True)
class TokenBudget:
    """Training tokens of a config, and the assumptions behind the count."""

    tokens: float
    assumptions: tuple[str, ...]


def tokens_of_config(config: RunConfig, shape: ModelShape) -> TokenBudget:
    """Training tokens of a config's step or epoch budget.

    Raises:
        UserError: the config trains by epochs on data whose size paretolab cannot know
            without reading it (your own file, running text).
    """
    t = config.trainer
    per_sequence = full_batch(shape, 1).tokens
    if t.max_steps > 0:
        tokens = float(t.max_steps * t.accumulate_grad_batches * config.data.batch_size)
        note = f"tokens: trainer.max_steps={t.max_steps} full-length batches"
        return TokenBudget(tokens * per_sequence, (note,))
    examples = train_examples(config)
    notes = [
        f"tokens: trainer.max_epochs={t.max_epochs} × {examples:,} training examples "
        f"({config.data.dataset}) × {per_sequence} tokens each (full length, padding included)"
    ]
    if t.max_time_minutes:
        notes.append(
            f"trainer.max_time_minutes={t.max_time_minutes:g} may stop the run sooner: "
            "the token count assumes every epoch runs (an upper bound)"
        )
    return TokenBudget(float(t.max_epochs * examples * per_sequence), tuple(notes))


def train_examples(config: RunConfig) -> int:
    """Examples in one epoch of the config's training split.

    Raises:
        UserError: the dataset's size is not known without reading it.
    """
    data = config.data
    if data.dataset in BUILTIN_EXAMPLES:
        total = BUILTIN_EXAMPLES[data.dataset]
    elif data.dataset in GENERATED:
        total = data.num_examples
    else:
        raise UserError(
            f"the config trains for trainer.max_epochs on data.dataset={data.dataset!r}, whose "
            "size paretolab does not know before reading it; give --tokens, or set "
            "trainer.max_steps"
        )
    if data.limit_samples:
        total = min(total, data.limit_samples)
    share = (1.0 - data.val_fraction - data.test_fraction) * data.train_fraction
    return max(1, int(total * share))
