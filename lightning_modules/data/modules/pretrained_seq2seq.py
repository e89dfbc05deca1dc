"""Seq2seq pairs for a pretrained encoder–decoder (T5, BART…): its own tokenizer on both sides.

Sources are encoded as the checkpoint's tokenizer frames them (T5 ends them with ``</s>``,
BART adds ``<s> … </s>``); targets are its plain tokens, and the batches frame them as the
model learnt to decode: ``decoder_start_token_id y1 … yn`` in, ``y1 … yn eos`` out. Padding is
the checkpoint's pad token, and labels are padded with -100 (no token has that id).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tokenizers import Tokenizer

from lightning_modules.data.modules.seq2seq import Seq2SeqData
from lightning_modules.data.pairs import Pair
from lightning_modules.data.tokenization import TARGET_TOKENIZER_FILE, tokenizer_for_run
from paretolab import model_sources
from paretolab.errors import UserError
from paretolab.limits import MAX_CONFIG_BYTES

LABEL_PAD = -100  # transformers' ignored label id


class PretrainedSeq2SeqData(Seq2SeqData):
    """``Seq2SeqData`` with the checkpoint's tokenizer for sources and targets, and its
    decoder start, end and pad tokens."""

    label_pad = LABEL_PAD

    def make_tokenizers(self, train: list[Pair]) -> tuple[Tokenizer, Tokenizer]:
        """The checkpoint's tokenizer, saved as both of the run's tokenizer files."""
        cfg = self.config

        def nothing() -> list[str]:  # never called: a pretrained model brings its tokenizer
            return []

        source = tokenizer_for_run(self.run_dir, nothing, cfg.tokenizer, model=cfg.model)
        target = tokenizer_for_run(
            self.run_dir, nothing, cfg.tokenizer, TARGET_TOKENIZER_FILE, model=cfg.model
        )
        return source, target

    def set_special_ids(self) -> None:
        """The checkpoint's ``decoder_start_token_id``, ``eos_token_id`` and ``pad_token_id``
        (its generation_config.json's, else its config.json's).

        Raises:
            UserError: config.json names no decoder start or end token.
        """
        from lightning_modules.pretrained.loading import locate_files

        m = self.config.model
        raw = _token_settings(locate_files(m).folder)
        start, eos = raw.get("decoder_start_token_id"), raw.get("eos_token_id")
        if isinstance(eos, list):
            eos = eos[0]
        if start is None or eos is None:
            raise UserError(
                f"model.pretrained={m.pretrained}: its config.json names no "
                f"{'decoder_start_token_id' if start is None else 'eos_token_id'}, which "
                "seq2seq decoding needs; add it to config.json"
            )
        self.bos_id, self.eos_id = int(start), int(eos)
        pad = raw.get("pad_token_id")
        self.pad_id = int(pad) if pad is not None else 0  # as loading.build_model sets it

    def encode_targets(self, texts: list[str], max_tokens: int) -> list[list[int]]:
        """Target ids without the tokenizer's special tokens (the collate adds the end)."""
        tok = self.target_tokenizer
        tok.enable_truncation(max_tokens)
        try:
            encoded = tok.encode_batch(list(texts), add_special_tokens=False)
        finally:
            tok.no_truncation()
        return [enc.ids for enc in encoded]


def _token_settings(folder: Path) -> dict[str, Any]:
    """config.json, overridden by generation_config.json where the checkpoint has one
    (what ``generate`` reads; newer checkpoints keep their decoding tokens only there)."""
    settings = model_sources.read_model_config(folder)
    generation = folder / "generation_config.json"
    if generation.is_file() and generation.stat().st_size <= MAX_CONFIG_BYTES:
        try:
            extra = json.loads(generation.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError):
            extra = None  # transformers would refuse it too; config.json still says enough
        if isinstance(extra, dict):
            settings.update({k: v for k, v in extra.items() if v is not None})
    return settings
