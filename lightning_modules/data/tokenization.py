"""Tokenizers trained with HF `tokenizers` on the training split only, saved with the run."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers

from paretolab.config import TokenizerConfig

PAD, UNK, CLS, SEP, MASK = "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"
SPECIAL_TOKENS = [PAD, UNK, CLS, SEP, MASK]  # PAD first: its id is 0
_KINDS = {  # kind → (model, trainer, decoder)
    "bpe": (models.BPE, trainers.BpeTrainer, decoders.BPEDecoder),
    "wordpiece": (models.WordPiece, trainers.WordPieceTrainer, decoders.WordPiece),
    "char": (models.WordLevel, trainers.WordLevelTrainer, decoders.Fuse),
}


def train_tokenizer(
    texts: Sequence[str], kind: str, vocab_size: int, min_frequency: int, lowercase: bool
) -> Tokenizer:
    """Train a BPE, WordPiece or character tokenizer on ``texts``.

    Args:
        texts: the training split's texts (never val/test: that would leak).
        kind: ``bpe``, ``wordpiece`` or ``char``.
        vocab_size: largest vocabulary, special tokens included.
        min_frequency: how often a pair/word must occur to enter the vocabulary (subwords).
        lowercase: lower-case and strip accents first.
    """
    if kind not in _KINDS:
        raise ValueError(f"unknown tokenizer kind {kind!r}")
    model_cls, trainer_cls, decoder_cls = _KINDS[kind]
    tok = Tokenizer(model_cls(unk_token=UNK))
    tok.decoder = decoder_cls()
    norm = [normalizers.NFKC()] if kind != "char" else []
    if lowercase:
        norm += [normalizers.NFD(), normalizers.Lowercase(), normalizers.StripAccents()]
    if norm:
        tok.normalizer = normalizers.Sequence(norm)
    if kind == "char":
        # Every character is a token, white space and newlines included; decoding fuses them.
        tok.pre_tokenizer = pre_tokenizers.Split(Regex(r"[\s\S]"), behavior="isolated")
        min_frequency = 1
    else:
        tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    trainer = trainer_cls(
        vocab_size=vocab_size,
        min_frequency=min_frequency,
        special_tokens=SPECIAL_TOKENS,
        show_progress=False,
    )
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


TOKENIZER_FILE = "tokenizer.json"


def tokenizer_for_run(
    run_dir: Path, training_texts: Callable[[], Sequence[str]], cfg: TokenizerConfig
) -> Tokenizer:
    """The run's saved tokenizer, or one trained on ``training_texts()`` and saved now.

    Reusing the saved file keeps a resumed run's vocabulary; the texts are only built
    when a tokenizer has to be trained.
    """
    path = Path(run_dir) / TOKENIZER_FILE
    if path.exists():
        return load_tokenizer(path)
    tok = train_tokenizer(
        training_texts(), cfg.kind, cfg.vocab_size, cfg.min_frequency, cfg.lowercase
    )
    save_tokenizer(tok, path)
    return tok


def encode_texts(tok: Tokenizer, texts: Sequence[str], max_tokens: int) -> list[list[int]]:
    """Token ids per text (no special tokens), truncated to ``max_tokens``; never empty."""
    unk = tok.token_to_id(UNK)
    return [enc.ids[:max_tokens] or [unk] for enc in tok.encode_batch(list(texts))]
