"""Tokenizers trained with HF `tokenizers` on the training split only, saved with the run."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers

PAD, UNK, CLS, SEP, MASK = "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"
SPECIAL_TOKENS = [PAD, UNK, CLS, SEP, MASK]  # PAD first: its id is 0


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
    if kind == "bpe":
        tok = Tokenizer(models.BPE(unk_token=UNK))
        trainer = trainers.BpeTrainer(
            vocab_size=vocab_size,
            min_frequency=min_frequency,
            special_tokens=SPECIAL_TOKENS,
            show_progress=False,
        )
        tok.decoder = decoders.BPEDecoder()
    elif kind == "wordpiece":
        tok = Tokenizer(models.WordPiece(unk_token=UNK))
        trainer = trainers.WordPieceTrainer(
            vocab_size=vocab_size,
            min_frequency=min_frequency,
            special_tokens=SPECIAL_TOKENS,
            show_progress=False,
        )
        tok.decoder = decoders.WordPiece()
    else:
        raise ValueError(f"unknown tokenizer kind {kind!r}")
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
