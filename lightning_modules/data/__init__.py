"""Datasets: the built-in registry, splits, tokenizers and data modules."""

from __future__ import annotations

from pathlib import Path

import lightning.pytorch as pl

from paretolab.config import RunConfig


def build_data_module(config: RunConfig, run_dir: Path) -> pl.LightningDataModule:
    """The data module for the config's task (set up lazily: call ``setup`` before use)."""
    if config.task == "classification":
        from lightning_modules.data.datamodule import TextClassificationData

        return TextClassificationData(config, run_dir)
    if config.task == "language_modeling":
        from lightning_modules.data.lm_datamodule import LanguageModelingData

        return LanguageModelingData(config, run_dir)
    if config.task == "image_classification":
        from lightning_modules.data.images import ImageClassificationData

        return ImageClassificationData(config, run_dir)
    raise ValueError(f"unknown task {config.task!r}")
