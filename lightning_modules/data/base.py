"""What every data module shares: train/val/test splits served by DataLoaders."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import lightning.pytorch as pl
from torch.utils.data import DataLoader, Dataset

from paretolab.config import RunConfig


class SplitDataModule(pl.LightningDataModule):
    """A data module whose ``setup`` fills ``self.splits`` with train, val and test datasets.

    Subclasses set ``shuffle_train`` (False when the training set already draws random
    windows) and ``collate_fn`` (None: torch's default).
    """

    shuffle_train = True
    collate_fn: Callable[[list[Any]], Any] | None = None

    def __init__(self, config: RunConfig, run_dir: Path):
        super().__init__()
        self.config, self.run_dir = config, Path(run_dir)
        self.splits: dict[str, Dataset] = {}
        # An attribute, not a config read, so Lightning's batch-size finder can change it.
        self.batch_size = config.data.batch_size

    def _loader(self, split: str, shuffle: bool) -> DataLoader:
        workers = self.config.data.num_workers
        return DataLoader(
            self.splits[split],
            batch_size=self.batch_size,
            shuffle=shuffle,
            collate_fn=type(self).collate_fn,
            num_workers=workers,
            persistent_workers=workers > 0,
        )

    def train_dataloader(self) -> DataLoader:
        return self._loader("train", shuffle=self.shuffle_train)

    def val_dataloader(self) -> DataLoader:
        return self._loader("val", shuffle=False)

    def test_dataloader(self) -> DataLoader:
        return self._loader("test", shuffle=False)
