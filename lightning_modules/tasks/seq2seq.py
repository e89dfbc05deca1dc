"""Sequence to sequence: an encoder–decoder, teacher-forced cross-entropy, decoded metrics.

Validation decodes greedily and test with ``generate.num_beams``; both report token
accuracy (teacher-forced), exact match (the whole decoded sequence right) and corpus BLEU
(sacrebleu, on decoded text). Test exact match is also reported per group of examples
(e.g. small / round / random numbers), and the test translations are written to
``translations.jsonl``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import sacrebleu
import torch
import torch.nn.functional as F
from tokenizers import Tokenizer
from torch import nn

from lightning_modules.models.config import TransformerConfig
from lightning_modules.models.seq2seq import EncoderDecoder
from lightning_modules.models.seq2seq_decoding import beam_search
from lightning_modules.tasks.base import OptimizedTask
from paretolab.config import RunConfig
from paretolab.config.io import parse_config

TRANSLATIONS_FILE = "translations.jsonl"
_MAX_WRITTEN = 1000  # test translations kept in the artifact


class Seq2SeqTask(OptimizedTask):
    """Translate source sequences into target sequences.

    Args:
        config: the run config as a plain dict (saved in every checkpoint).
        source_vocab, target_vocab: the two tokenizers' vocabulary sizes.
        bos_id, eos_id: the target tokenizer's start and end tokens.
        max_target_tokens: longest output decoding may produce.
        group_names: example groups reported separately at test time.
    """

    def __init__(
        self,
        config: dict[str, Any],
        source_vocab: int,
        target_vocab: int,
        bos_id: int,
        eos_id: int,
        max_target_tokens: int,
        group_names: list[str],
    ):
        super().__init__()
        self.save_hyperparameters()
        self.config: RunConfig = parse_config(config)
        self.model = self.build_model(source_vocab, target_vocab)
        # Set by build_task after the data module's setup: decoded text for BLEU and samples.
        self.source_tokenizer: Tokenizer | None = None
        self.target_tokenizer: Tokenizer | None = None
        self.translations_path: Path | None = None
        self._reset_outputs()

    # The label id that marks padding (no token): cross-entropy ignores it.
    label_pad = 0

    def build_model(self, source_vocab: int, target_vocab: int) -> nn.Module:
        """The network: a Transformer encoder–decoder sized by the config."""
        shape = TransformerConfig.from_run(self.config, source_vocab, target_vocab=target_vocab)
        return EncoderDecoder(shape)

    def forward(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        """Teacher-forced logits ``(B, T, target_vocab)``."""
        return self.model(batch["source"], batch["source_mask"], batch["target_in"])

    def loss_of(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        """Mean teacher-forced cross-entropy over the target tokens (padding ignored)."""
        logits = self(batch)
        return F.cross_entropy(
            logits.flatten(0, 1), batch["labels"].flatten(), ignore_index=self.label_pad
        )

    def training_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> torch.Tensor:
        loss = self.training_loss(batch)
        self.log_train_loss(loss, batch["labels"].shape[0])
        return loss

    def validation_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> None:
        self._evaluate(batch, num_beams=1, keep_sources=False)

    def test_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> None:
        self._evaluate(batch, num_beams=self.config.generate.num_beams, keep_sources=True)

    def decode(self, batch: dict[str, torch.Tensor], num_beams: int = 1) -> torch.Tensor:
        """Output ids ``(B, L)`` for the batch's sources (greedy when ``num_beams`` is 1)."""
        h = self.hparams
        return beam_search(
            self.model,
            batch["source"],
            batch["source_mask"],
            h.bos_id,
            h.eos_id,
            h.max_target_tokens,
            num_beams,
            self.config.generate.length_penalty,
        )

    def _evaluate(self, batch: dict[str, torch.Tensor], num_beams: int, keep_sources: bool) -> None:
        """Accumulate the batch's metrics; ``keep_sources`` also decodes the source texts
        (only the test translations artifact shows them)."""
        labels = batch["labels"]  # (B, T), label_pad after the end token
        logits = self(batch)
        real = labels != self.label_pad
        out = self._outputs
        out["loss_sum"] += F.cross_entropy(
            logits.flatten(0, 1), labels.flatten(), ignore_index=self.label_pad, reduction="sum"
        ).item()
        out["tokens"] += int(real.sum())
        out["tokens_right"] += int(((logits.argmax(-1) == labels) & real).sum())
        predicted = self.decode(batch, num_beams)
        width = max(predicted.shape[1], labels.shape[1])
        pad = self.label_pad
        exact = (_pad_to(predicted, width, pad) == _pad_to(labels, width, pad)).all(dim=1)  # (B,)
        out["exact"] += exact.tolist()
        out["groups"] += batch["group"].tolist()
        out["hypotheses"] += self._text(predicted)
        out["references"] += self._text(labels)
        if keep_sources:
            out["sources"] += self._text(batch["source"], self.source_tokenizer)

    def on_validation_epoch_end(self) -> None:
        self._log_epoch("val")

    def on_test_epoch_end(self) -> None:
        self._log_epoch("test")
        self._write_translations()

    def _log_epoch(self, stage: str) -> None:
        out = self._outputs
        if not out["tokens"]:
            return
        exact = torch.tensor(out["exact"], dtype=torch.float)
        self.log(f"{stage}_loss", out["loss_sum"] / out["tokens"], prog_bar=stage == "val")
        self.log(f"{stage}_token_acc", out["tokens_right"] / out["tokens"])
        self.log(f"{stage}_exact_match", exact.mean().item(), prog_bar=stage == "val")
        bleu = sacrebleu.corpus_bleu(
            out["hypotheses"], [out["references"]], tokenize=self._bleu_tokenize()
        ).score
        self.log(f"{stage}_bleu", bleu)
        names = self.hparams.group_names
        if stage == "test" and len(names) > 1:
            groups = torch.tensor(out["groups"])
            for index, name in enumerate(names):
                chosen = groups == index
                if chosen.any():
                    self.log(f"test_exact_match_{name}", exact[chosen].mean().item())
        if stage == "val":
            self._reset_outputs()

    def _bleu_tokenize(self) -> str:
        """Character n-grams for character-level targets (a digit string is one "word",
        so word 4-grams would not exist), sacrebleu's standard 13a tokenizer otherwise."""
        t = self.config.tokenizer
        return "char" if (t.kind if t.target_kind == "same" else t.target_kind) == "char" else "13a"

    def _write_translations(self) -> None:
        out = self._outputs
        if self.translations_path is not None:
            names = self.hparams.group_names
            rows = zip(
                out["sources"],
                out["references"],
                out["hypotheses"],
                out["exact"],
                out["groups"],
                strict=True,
            )
            lines = [
                json.dumps(
                    {"source": s, "reference": r, "prediction": h, "exact": e, "group": names[g]},
                    ensure_ascii=False,
                )
                for s, r, h, e, g in list(rows)[:_MAX_WRITTEN]
            ]
            tmp = self.translations_path.with_suffix(".tmp")
            tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
            tmp.replace(self.translations_path)
        self._reset_outputs()

    def _text(self, ids: torch.Tensor, tokenizer: Tokenizer | None = None) -> list[str]:
        """Decoded strings of ``(B, L)`` ids, cut at the end token (special tokens dropped)."""
        tokenizer = tokenizer or self.target_tokenizer
        if tokenizer is None:
            return [""] * ids.shape[0]
        rows = []
        for row in ids.tolist():
            if self.hparams.eos_id in row:
                row = row[: row.index(self.hparams.eos_id)]
            rows.append([t for t in row if t >= 0])  # a negative label_pad is no token
        return tokenizer.decode_batch(rows, skip_special_tokens=True)

    def _reset_outputs(self) -> None:
        self._outputs: dict[str, Any] = {
            "loss_sum": 0.0,
            "tokens": 0,
            "tokens_right": 0,
            "exact": [],
            "groups": [],
            "hypotheses": [],
            "references": [],
            "sources": [],
        }


def _pad_to(ids: torch.Tensor, width: int, value: int = 0) -> torch.Tensor:
    return F.pad(ids, (0, width - ids.shape[1]), value=value)
