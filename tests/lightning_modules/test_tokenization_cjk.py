"""Tokenizers on Chinese text: one token per ideograph, few unknowns, English unchanged."""

import pytest
from tokenizers import pre_tokenizers

from lightning_modules.data.builtin.zh_reviews import load_zh_reviews
from lightning_modules.data.tokenization import UNK, train_tokenizer


@pytest.fixture(scope="module")
def reviews() -> tuple[list[str], list[str]]:
    """3,000 reviews to train on and 500 others held out."""
    texts, _ = load_zh_reviews()
    return texts[::5][:3000], texts[1::5][:500]


@pytest.mark.parametrize("kind", ["bpe", "wordpiece", "char", "word"])
def test_each_chinese_character_is_its_own_token(kind: str, reviews) -> None:
    tok = train_tokenizer(reviews[0], kind, 5000, 2, lowercase=True)
    # ▁ marks a word start (word kind), </w> a word end (bpe).
    tokens = [t.removesuffix("</w>") for t in tok.encode("质量很好，我很喜欢").tokens if t != "▁"]
    comma = "," if kind in ("bpe", "wordpiece") else "，"  # subword kinds apply NFKC
    assert tokens == list(f"质量很好{comma}我很喜欢")


@pytest.mark.parametrize("kind", ["bpe", "wordpiece", "char"])
def test_held_out_chinese_has_few_unknowns_and_decodes_back(kind: str, reviews) -> None:
    train, held_out = reviews
    tok = train_tokenizer(train, kind, 5000, 2, lowercase=True)
    encodings = tok.encode_batch(held_out)
    n_unknown = sum(e.tokens.count(UNK) for e in encodings)
    assert n_unknown / sum(len(e.ids) for e in encodings) < 0.01
    # Decoding gives back the (normalised) text; only the spaces between tokens may differ.
    for text, enc in zip(held_out[:100], encodings, strict=False):
        if UNK not in enc.tokens:
            normalised = tok.normalizer.normalize_str(text) if tok.normalizer else text
            assert tok.decode(enc.ids).replace(" ", "") == normalised.replace(" ", "")


def test_mixed_chinese_and_english_splits_ideographs_and_keeps_english_words() -> None:
    tok = train_tokenizer(["iPhone 很好用 price 100元"] * 10, "wordpiece", 200, 1, True)
    assert tok.encode("iPhone很好用").tokens == ["iphone", "很", "好", "用"]


def test_english_pre_tokenization_is_bert_s() -> None:
    text = "Don't stop-believing, it's 3.14 (roughly)!"
    tok = train_tokenizer([text] * 5, "bpe", 200, 1, True)
    bert = pre_tokenizers.BertPreTokenizer().pre_tokenize_str(text.lower())
    assert tok.pre_tokenizer.pre_tokenize_str(text.lower()) == bert


def test_lowercasing_strips_latin_accents_but_keeps_kana_hangul_and_indic_signs() -> None:
    tok = train_tokenizer(["x"] * 5, "bpe", 200, 1, True)
    assert tok.normalizer.normalize_str("Café NAÏVE Ångström") == "cafe naive angstrom"
    for kept in ("がぎぐ", "한국어", "हिंदी", "中文"):
        assert tok.normalizer.normalize_str(kept) == kept
