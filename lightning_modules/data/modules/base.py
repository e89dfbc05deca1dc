"""What every data module shares: train/val/test splits served by DataLoaders."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import lightning.pytorch as pl
from torch.utils.data import DataLoader, Dataset

from lightning_modules.data.folds import kfold_split
from lightning_modules.data.splits import stratified_split, stratified_subsample
from paretolab.config import RunConfig


class SplitDataModule(pl.LightningDataModule):
    """A data module whose ``setup`` fills ``self.splits`` with train, val and test datasets.

    Subclasses set ``shuffle_train`` (False when the training set already draws random
    windows) and ``collate_fn`` (None: torch's default).
    """

    shuffle_train = True
    collate_fn: Callable[[list[Any]], Any] | None = None
    fold: int | None = None
    """k-fold cross-validation: set before ``setup`` to validate on this fold of
    ``data.cv_folds`` (see ``split_indices``). None: the plain train/val/test split."""

    def __init__(self, config: RunConfig, run_dir: Path):
        super().__init__()
        self.config, self.run_dir = config, Path(run_dir)
        self.splits: dict[str, Dataset] = {}
        # An attribute, not a config read, so Lightning's batch-size finder can change it.
        self.batch_size = config.data.batch_size

    def limit_indices(self, strata: Sequence[str]) -> list[int] | None:
        """The examples ``data.limit_samples`` keeps (a stratified subsample by ``strata``,
        seeded by ``split_seed``), or None when every example is used."""
        d = self.config.data
        if not d.limit_samples:
            return None
        return stratified_subsample(strata, d.limit_samples, d.split_seed)

    def split_indices(self, strata: Sequence[str]) -> tuple[list[int], list[int], list[int]]:
        """Train, val and test indices, stratified by ``strata`` (class labels or value bins).

        The test split is the same with or without cross-validation. With ``self.fold`` set,
        the rest (the plain split's train + val) is cut into ``data.cv_folds`` folds and
        fold ``self.fold`` validates; ``data.val_fraction`` is then unused. With
        ``data.train_fraction`` below 1 only a stratified share of train is kept.
        """
        d = self.config.data
        train, val, test = stratified_split(strata, d.val_fraction, d.test_fraction, d.split_seed)
        if self.fold is not None and d.cv_folds:
            train, val = kfold_split(
                strata, sorted(train + val), d.cv_folds, self.fold, d.split_seed
            )
        if d.train_fraction < 1.0:
            n = max(1, round(len(train) * d.train_fraction))
            keep = stratified_subsample([strata[i] for i in train], n, d.split_seed)
            train = [train[k] for k in keep]
        return train, val, test

    def _loader(self, split: str, shuffle: bool) -> DataLoader:
        workers = self.config.data.num_workers
        return DataLoader(
            self.splits[split],
            batch_size=self.batch_size,
            shuffle=shuffle,
            collate_fn=self.collate_fn,
            num_workers=workers,
            persistent_workers=workers > 0,
        )

    def train_dataloader(self) -> DataLoader:
        return self._loader("train", shuffle=self.shuffle_train)

    def val_dataloader(self) -> DataLoader:
        return self._loader("val", shuffle=False)

    def test_dataloader(self) -> DataLoader:
        return self._loader("test", shuffle=False)
