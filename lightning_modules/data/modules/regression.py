"""Text regression data: texts with one number each, split by value quantiles, batched.

The split is stratified by quantile bins of the target (``folds.quantile_strata``), so
train, val and test each span the whole range of values. The targets stay in their
original units here; the data module measures the training split's mean and standard
deviation, and the task standardises with them (and reports metrics in original units).
"""

from __future__ import annotations

import math
from pathlib import Path

from lightning_modules.data.folds import quantile_strata
from lightning_modules.data.modules.base import SplitDataModule
from lightning_modules.data.modules.classification import encode_text_splits, pad_batch
from lightning_modules.data.sources import load_regression_texts
from paretolab.config import RunConfig
from paretolab.errors import UserError


class TextRegressionData(SplitDataModule):
    """A user file's texts and numeric targets: split, tokenizer trained on train, batches.

    After ``setup``: ``target_mean`` and ``target_std`` are the training split's (never
    val's or test's: that would leak), and ``test_texts`` are the test examples in the
    order the test loader serves them (for the predictions artifact).
    """

    collate_fn = staticmethod(pad_batch)

    def __init__(self, config: RunConfig, run_dir: Path):
        super().__init__(config, run_dir)
        self.vocab_size = 0
        self.target_mean, self.target_std = 0.0, 1.0
        self.test_texts: list[str] = []

    def setup(self, stage: str | None = None) -> None:
        """Load, split, measure the training targets, tokenize. Idempotent."""
        if self.splits:
            return
        data = self.config.data
        texts, values = load_regression_texts(self.config)
        values = [float(v) for v in values]
        keep = self.limit_indices(quantile_strata(values))
        if keep is not None:
            texts, values = [texts[i] for i in keep], [values[i] for i in keep]
        splits = self.split_indices(quantile_strata(values))
        parts = dict(zip(("train", "val", "test"), splits, strict=True))
        self.target_mean, self.target_std = target_stats([values[i] for i in parts["train"]])
        if self.target_std == 0.0:
            raise UserError(
                f"{data.path}: every training value of column {data.label_column!r} is "
                f"{self.target_mean:g}; regression needs targets that vary"
            )
        tok, self.splits = encode_text_splits(self.config, self.run_dir, texts, values, parts)
        self.vocab_size = tok.get_vocab_size()
        self.test_texts = [texts[i] for i in parts["test"]]


def target_stats(values: list[float]) -> tuple[float, float]:
    """Mean and (population) standard deviation of ``values``."""
    mean = math.fsum(values) / len(values)
    return mean, math.sqrt(math.fsum((v - mean) ** 2 for v in values) / len(values))
