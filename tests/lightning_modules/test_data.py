from collections import Counter

import pytest
import torch

from lightning_modules.data.augment import TokenNoise
from lightning_modules.data.builtin.registry import DATASETS, get_dataset
from lightning_modules.data.modules.classification import (
    EncodedTexts,
    TextClassificationData,
    pad_batch,
)
from lightning_modules.data.splits import stratified_split, stratified_subsample
from lightning_modules.data.tokenization import PAD, encode_texts, train_tokenizer
from lightning_modules.tasks.classification import per_text
from paretolab.config import AugmentConfig
from tests.conftest import tiny_config


def test_bbc_news_ships_2225_articles_in_5_topics() -> None:
    texts, labels = get_dataset("bbc_news").load()
    assert len(texts) == 2225 and all(texts)
    assert Counter(labels) == {
        "sports": 511,
        "business": 510,
        "politics": 417,
        "tech": 401,
        "entertainment": 386,
    }


def test_registry_describes_each_dataset() -> None:
    for info in DATASETS.values():
        assert info.tasks and info.size and info.licence
    with pytest.raises(KeyError, match="unknown dataset 'nope'"):
        get_dataset("nope")


def test_stratified_split_is_disjoint_seeded_and_proportional() -> None:
    labels = ["a"] * 100 + ["b"] * 50
    train, val, test = stratified_split(labels, 0.1, 0.2, seed=1)
    assert sorted(train + val + test) == list(range(150))
    assert Counter(labels[i] for i in test) == {"a": 20, "b": 10}
    assert Counter(labels[i] for i in val) == {"a": 10, "b": 5}
    assert stratified_split(labels, 0.1, 0.2, seed=1) == (train, val, test)
    assert stratified_split(labels, 0.1, 0.2, seed=2) != (train, val, test)


def test_subsample_keeps_label_shares() -> None:
    labels = ["a"] * 80 + ["b"] * 20
    keep = stratified_subsample(labels, 50, seed=0)
    assert len(keep) == 50 and Counter(labels[i] for i in keep) == {"a": 40, "b": 10}


@pytest.mark.parametrize("kind", ["bpe", "wordpiece"])
def test_tokenizer_pads_with_id_zero_and_truncates(kind: str) -> None:
    tok = train_tokenizer(["the cat sat on the mat"] * 20 + ["a dog ran"] * 20, kind, 120, 1, True)
    assert tok.token_to_id(PAD) == 0
    [ids] = encode_texts(tok, ["The CAT sat on the mat again and again"], max_tokens=4)
    assert len(ids) == 4 and tok.decode(ids[:2]).replace(" ", "") == "thecat"


def test_examples_get_cls_first_and_fit_max_length() -> None:
    data = EncodedTexts([[7, 8, 9, 10, 11]], [1], max_length=4, prefix=[2])
    assert data[0] == ([2, 7, 8, 9], 1)


def test_eval_windows_cover_the_text_each_wrapped_in_the_special_tokens() -> None:
    # A checkpoint's [CLS] (101) … [SEP] (102) wrap every window, not just the first.
    text = list(range(10, 21))  # 11 tokens; windows of 5 - 2 = 3 tokens
    data = EncodedTexts([text, [7]], [1, 0], 5, prefix=[101], suffix=[102], windows=3)
    assert data[0] == ([[101, 10, 11, 12, 102], [101, 13, 14, 15, 102], [101, 16, 17, 18, 102]], 1)
    assert data[1] == ([[101, 7, 102]], 0)  # a short text is one window


def test_random_training_windows_are_wrapped_too() -> None:
    torch.manual_seed(0)
    data = EncodedTexts([list(range(10, 60))], [1], 6, [101], [102], noise(random_crop=True))
    seen = {tuple(data[0][0]) for _ in range(20)}
    assert len(seen) > 3
    assert all(w[0] == 101 and w[-1] == 102 and len(w) == 6 for w in seen)


def test_pad_batch_stacks_windows_and_says_whose_they_are() -> None:
    batch = pad_batch([([[5, 6], [7]], 1), ([[8, 9, 3]], 0)])
    assert batch["input_ids"].tolist() == [[5, 6, 0], [7, 0, 0], [8, 9, 3]]
    assert batch["text_of_row"].tolist() == [0, 0, 1]
    assert batch["labels"].tolist() == [1, 0]


def test_per_text_averages_the_logits_of_a_texts_windows() -> None:
    logits = torch.tensor([[1.0, 3.0], [3.0, 1.0], [0.0, 4.0]])
    batch = {"text_of_row": torch.tensor([0, 0, 1]), "labels": torch.tensor([1, 0])}
    assert per_text(logits, batch).tolist() == [[2.0, 2.0], [0.0, 4.0]]
    assert per_text(logits, {"labels": torch.tensor([0, 1, 1])}) is logits


def test_eval_windows_apply_to_val_and_test_only(tmp_path) -> None:
    cfg = tiny_config("data.eval_windows=3", "data.max_length=16")
    data = TextClassificationData(cfg, tmp_path)
    data.setup("fit")
    assert data.splits["train"].windows == 1 and data.splits["val"].windows == 3
    longest = max(range(len(data.splits["val"])), key=lambda i: len(data.splits["val"].ids[i]))
    windows, _ = data.splits["val"][longest]
    assert len(windows) == 3 and all(len(w) <= 16 for w in windows)


def noise(**cfg) -> TokenNoise:
    return TokenNoise(AugmentConfig(**cfg), mask_id=4, vocab_size=100, first_regular_id=5)


def test_random_crop_takes_varied_windows_of_the_text() -> None:
    torch.manual_seed(0)
    ids = list(range(10, 60))
    windows = {tuple(noise(random_crop=True).window(ids, 8)) for _ in range(30)}
    assert len(windows) > 5
    for w in windows:
        assert len(w) == 8 and list(w) == list(range(w[0], w[0] + 8))
    assert noise().window(ids, 8) == ids[:8]


def test_token_noise_masks_replaces_and_deletes_at_the_asked_rates() -> None:
    torch.manual_seed(0)
    ids = [50] * 20_000
    masked = noise(mask_prob=0.2)(ids)
    assert masked.count(4) / len(ids) == pytest.approx(0.2, abs=0.02)
    replaced = noise(replace_prob=0.3)(ids)
    changed = [t for t in replaced if t != 50]
    assert len(changed) / len(ids) == pytest.approx(0.3, abs=0.02) and min(changed) >= 5
    assert len(noise(delete_prob=0.25)(ids)) / len(ids) == pytest.approx(0.75, abs=0.02)
    assert noise()(ids) is ids


def test_augmentation_touches_training_examples_only(tmp_path) -> None:
    cfg = tiny_config("augment.random_crop=true", "augment.mask_prob=0.3")
    data = TextClassificationData(cfg, tmp_path)
    data.setup("fit")
    assert data.splits["train"].noise is not None
    assert data.splits["val"].noise is None and data.splits["test"].noise is None
    assert data.splits["val"][0] == data.splits["val"][0]


def test_pad_batch_masks_padding() -> None:
    batch = pad_batch([([5, 6, 7], 1), ([8], 0)])
    assert batch["input_ids"].tolist() == [[5, 6, 7], [8, 0, 0]]
    assert batch["attention_mask"].tolist() == [[True, True, True], [True, False, False]]
    assert batch["labels"].tolist() == [1, 0]


@pytest.mark.slow
def test_data_module_trains_the_tokenizer_on_train_only_and_saves_it(tmp_path) -> None:
    data = TextClassificationData(tiny_config(), tmp_path)
    data.setup("fit")
    assert (tmp_path / "tokenizer.json").exists()
    sizes = {k: len(v) for k, v in data.splits.items()}
    assert sum(sizes.values()) == 300 and 25 <= sizes["val"] == sizes["test"] <= 35
    assert data.class_names == ["business", "entertainment", "politics", "sports", "tech"]
    assert all(len(ids) <= 64 for ids in data.splits["train"].ids)
    # A second set-up reuses the saved tokenizer (resumed runs keep their vocabulary).
    again = TextClassificationData(tiny_config(), tmp_path)
    again.setup("fit")
    assert again.splits["val"].ids == data.splits["val"].ids


def test_registry_and_config_agree_on_each_datasets_task() -> None:
    from paretolab.config import DATASET_TASKS

    built_in = {name: tasks for name, tasks in DATASET_TASKS.items() if name != "file"}
    assert {name: info.tasks for name, info in DATASETS.items()} == built_in


def test_shakespeare_ships_42_works() -> None:
    works = get_dataset("shakespeare").load()
    assert len(works) == 42 and sum(map(len, works)) > 4_500_000
    assert any(w.lstrip().startswith("THE TEMPEST") for w in works)


def test_bpe_and_word_tokenizers_decode_back_to_spaced_words() -> None:
    from lightning_modules.data.tokenization import train_tokenizer

    texts = ["the cat sat on the mat", "quatre-vingt-dix mille trois"] * 10
    bpe = train_tokenizer(texts, "bpe", 300, 1, lowercase=False, decodable=True)
    assert bpe.decode(bpe.encode("the cat sat on the mat").ids) == "the cat sat on the mat"
    plain = train_tokenizer(texts, "bpe", 300, 1, lowercase=False)  # classifiers: no marks
    assert not any(t.endswith("</w>") for t in plain.get_vocab())
    word = train_tokenizer(texts, "word", 300, 1, lowercase=False)
    ids = word.encode("quatre-vingt-dix mille trois").ids
    assert word.decode(ids) == "quatre-vingt-dix mille trois"
    assert len(ids) == 7  # quatre - vingt - dix mille trois


@pytest.mark.slow
def test_train_fraction_shrinks_train_only_keeping_label_shares(tmp_path) -> None:
    full = TextClassificationData(tiny_config(), tmp_path / "full")
    part = TextClassificationData(tiny_config("data.train_fraction=0.25"), tmp_path / "part")
    for data in (full, part):
        data.run_dir.mkdir()
    full.setup("fit")
    tokenizer = (full.run_dir / "tokenizer.json").read_bytes()
    (part.run_dir / "tokenizer.json").write_bytes(tokenizer)  # same ids for the same texts
    part.setup("fit")
    assert part.splits["val"].ids == full.splits["val"].ids  # same val and test examples
    assert part.splits["test"].labels == full.splits["test"].labels
    n_full, n_part = len(full.splits["train"]), len(part.splits["train"])
    assert n_part == round(n_full * 0.25)
    shares = Counter(part.splits["train"].labels)
    for label, count in Counter(full.splits["train"].labels).items():
        assert abs(shares[label] - count * 0.25) <= 1
