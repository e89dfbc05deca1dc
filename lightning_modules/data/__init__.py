"""Datasets: the built-in registry, splits, tokenizers and data modules."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from paretolab.config import RunConfig

if TYPE_CHECKING:  # importing Lightning takes seconds; file readers and checks need none of it
    import lightning.pytorch as pl


def build_data_module(config: RunConfig, run_dir: Path) -> pl.LightningDataModule:
    """The data module for the config's task (set up lazily: call ``setup`` before use)."""
    if config.task == "classification":
        from lightning_modules.data.datamodule import TextClassificationData

        return TextClassificationData(config, run_dir)
    if config.task == "regression":
        from lightning_modules.data.regression import TextRegressionData

        return TextRegressionData(config, run_dir)
    if config.task == "language_modeling":
        from lightning_modules.data.lm_datamodule import LanguageModelingData

        return LanguageModelingData(config, run_dir)
    if config.task == "masked_lm":
        from lightning_modules.data.mlm_datamodule import MaskedLMData

        return MaskedLMData(config, run_dir)
    if config.task == "seq2seq":
        from lightning_modules.data.seq2seq_data import Seq2SeqData

        return Seq2SeqData(config, run_dir)
    if config.task == "image_classification":
        from lightning_modules.data.images import ImageClassificationData

        return ImageClassificationData(config, run_dir)
    raise ValueError(f"unknown task {config.task!r}")
