"""Language modelling: a causal decoder, next-token cross-entropy, perplexity, bits per character."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from tokenizers import Tokenizer
from torch import nn
from torchmetrics import MeanMetric

from lightning_modules.models import DecoderLM, TransformerConfig
from lightning_modules.tasks.base import OptimizedTask
from paretolab.config import GenerateConfig, RunConfig
from paretolab.config.io import parse_config


class LanguageModelTask(OptimizedTask):
    """Next-token prediction with a decoder-only Transformer.

    Args:
        config: the run config as a plain dict (saved in every checkpoint).
        vocab_size: the trained tokenizer's vocabulary size.
        chars_per_token: characters per token of the validation text, to report bits per
            character whatever the tokenizer (1.0 for a character tokenizer).
    """

    def __init__(self, config: dict[str, Any], vocab_size: int, chars_per_token: float = 1.0):
        super().__init__()
        self.save_hyperparameters()
        self.config: RunConfig = parse_config(config)
        self.model = self.build_model(vocab_size)
        self.chars_per_token = chars_per_token
        self.mean_loss = torch.nn.ModuleDict({"val": MeanMetric(), "test": MeanMetric()})

    def build_model(self, vocab_size: int) -> nn.Module:
        """The network: a decoder-only Transformer."""
        return DecoderLM(TransformerConfig.from_run(self.config, vocab_size))

    def sample(
        self, prompt: torch.Tensor, cfg: GenerateConfig, generator: torch.Generator
    ) -> torch.Tensor:
        """``prompt`` ``(1, T)`` followed by up to ``cfg.max_new_tokens`` sampled ids."""
        return self.model.generate(
            prompt, cfg.max_new_tokens, cfg.temperature, cfg.top_k, generator
        )

    def forward(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        """Next-token logits ``(B, T, vocab)`` (a batch dict, like every task's forward)."""
        return self.model(batch["input_ids"])

    fixed_shapes = True  # training windows are all data.max_length tokens long

    def loss_of(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        """Mean next-token cross-entropy of the batch."""
        logits = self(batch)  # (B, T, vocab)
        return F.cross_entropy(logits.flatten(0, 1), batch["labels"].flatten())

    def training_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> torch.Tensor:
        loss = self.training_loss(batch)
        self.log_train_loss(loss, batch["labels"].shape[0])
        return loss

    def validation_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> None:
        self.mean_loss["val"].update(self.loss_of(batch), weight=batch["labels"].numel())

    def test_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> None:
        self.mean_loss["test"].update(self.loss_of(batch), weight=batch["labels"].numel())

    def on_validation_epoch_end(self) -> None:
        self._log_epoch("val")

    def on_test_epoch_end(self) -> None:
        self._log_epoch("test")

    def _log_epoch(self, stage: str) -> None:
        """Loss over every token of the split, its perplexity and bits per character."""
        loss = self.mean_loss[stage].compute()
        self.mean_loss[stage].reset()
        self.log(f"{stage}_loss", loss, prog_bar=stage == "val")
        self.log(f"{stage}_ppl", torch.exp(loss))
        self.log(f"{stage}_bpc", loss / math.log(2) / self.chars_per_token)


def write_samples(
    task: LanguageModelTask, tokenizer: Tokenizer, cfg: GenerateConfig, path: Path, seed: int
) -> None:
    """Generate ``cfg.num_samples`` continuations of ``cfg.prompt`` into a text file."""
    if cfg.num_samples <= 0:
        return
    prompt = tokenizer.encode(cfg.prompt).ids or [0]
    generator = torch.Generator().manual_seed(seed)
    task.eval()
    device = next(task.parameters()).device
    samples = []
    for i in range(cfg.num_samples):
        ids = torch.tensor([prompt], device=device)
        out = task.sample(ids, cfg, generator)
        samples.append(f"--- sample {i + 1} ---\n{tokenizer.decode(out[0].tolist())}")
    tmp = path.with_suffix(".tmp")
    tmp.write_text("\n\n".join(samples) + "\n", encoding="utf-8")
    tmp.replace(path)
