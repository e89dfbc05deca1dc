"""Tokenizers trained with HF `tokenizers` on the training split only, saved with the run."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers

PAD, UNK, CLS, SEP, MASK = "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"
SPECIAL_TOKENS = [PAD, UNK, CLS, SEP, MASK]  # PAD first: its id is 0
_KINDS = {  # kind → (model, trainer, decoder)
    "bpe": (models.BPE, trainers.BpeTrainer, decoders.BPEDecoder),
    "wordpiece": (models.WordPiece, trainers.WordPieceTrainer, decoders.WordPiece),
}


def train_tokenizer(
    texts: Sequence[str], kind: str, vocab_size: int, min_frequency: int, lowercase: bool
) -> Tokenizer:
    """Train a BPE or WordPiece tokenizer on ``texts``.

    Args:
        texts: the training split's texts (never val/test: that would leak).
        kind: ``bpe`` or ``wordpiece``.
        vocab_size: largest vocabulary, special tokens included.
        min_frequency: how often a pair/word must occur to enter the vocabulary.
        lowercase: lower-case and strip accents first.
    """
    norm = [normalizers.NFKC()]
    if lowercase:
        norm += [normalizers.NFD(), normalizers.Lowercase(), normalizers.StripAccents()]
    if kind not in _KINDS:
        raise ValueError(f"unknown tokenizer kind {kind!r}")
    model_cls, trainer_cls, decoder_cls = _KINDS[kind]
    tok = Tokenizer(model_cls(unk_token=UNK))
    tok.decoder = decoder_cls()
    trainer = trainer_cls(
        vocab_size=vocab_size,
        min_frequency=min_frequency,
        special_tokens=SPECIAL_TOKENS,
        show_progress=False,
    )
    tok.normalizer = normalizers.Sequence(norm)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.train_from_iterator(texts, trainer=trainer, length=len(texts))
    return tok


def save_tokenizer(tok: Tokenizer, path: Path) -> None:
    """Write the tokenizer as one JSON file (atomically: temp file, then rename)."""
    tmp = path.with_suffix(".tmp")
    tok.save(str(tmp))
    tmp.replace(path)


def load_tokenizer(path: Path) -> Tokenizer:
    """Read a tokenizer saved by ``save_tokenizer``."""
    return Tokenizer.from_file(str(path))


def encode_texts(tok: Tokenizer, texts: Sequence[str], max_tokens: int) -> list[list[int]]:
    """Token ids per text (no special tokens), truncated to ``max_tokens``; never empty."""
    unk = tok.token_to_id(UNK)
    return [enc.ids[:max_tokens] or [unk] for enc in tok.encode_batch(list(texts))]
