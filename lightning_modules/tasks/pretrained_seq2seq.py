"""Sequence to sequence with a pretrained encoder–decoder (T5, BART…; family ``pretrained``).

The from-scratch ``Seq2SeqTask`` with the checkpoint's ``AutoModelForSeq2SeqLM``: the same
metrics (token accuracy, exact match, BLEU), test translations and checkpoints. Teacher
forcing feeds the decoder ``decoder_start_token_id y1 … yn``; decoding is the model's own
``generate`` (greedy, or beam search with ``generate.num_beams`` and ``length_penalty``).
"""

from __future__ import annotations

import torch
from torch import nn

from lightning_modules.data.modules.pretrained_seq2seq import LABEL_PAD
from lightning_modules.pretrained.loading import build_model, locate_files
from lightning_modules.tasks.pretrained import PretrainedWeights
from lightning_modules.tasks.seq2seq import Seq2SeqTask


class PretrainedSeq2SeqTask(PretrainedWeights, Seq2SeqTask):
    """Translate sources into targets by fine-tuning a pretrained encoder–decoder."""

    label_pad = LABEL_PAD

    def build_model(self, source_vocab: int, target_vocab: int) -> nn.Module:
        """The checkpoint's encoder–decoder (a PeftModel for LoRA), in train mode."""
        return build_model(self.config, locate_files(self.config.model).folder)

    def forward(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        """Teacher-forced logits ``(B, T, vocab)``."""
        return self.model(
            input_ids=batch["source"],
            attention_mask=batch["source_mask"].long(),
            decoder_input_ids=batch["target_in"],
        ).logits

    def decode(self, batch: dict[str, torch.Tensor], num_beams: int = 1) -> torch.Tensor:
        """Output ids ``(B, L)`` from the model's ``generate``, without the decoder start
        token and with ``label_pad`` after the end token (as the labels are framed)."""
        h = self.hparams
        out = self.model.generate(
            input_ids=batch["source"],
            attention_mask=batch["source_mask"].long(),
            max_new_tokens=h.max_target_tokens,
            num_beams=num_beams,
            length_penalty=self.config.generate.length_penalty,
            do_sample=False,
            early_stopping=num_beams > 1 or None,
            decoder_start_token_id=h.bos_id,
            eos_token_id=h.eos_id,
            pad_token_id=self.model.config.pad_token_id,
        )[:, 1:]
        is_end = (out == h.eos_id).long()
        after_end = (is_end.cumsum(dim=1) - is_end) > 0  # (B, L): past the first end token
        return out.masked_fill(after_end, self.label_pad)
