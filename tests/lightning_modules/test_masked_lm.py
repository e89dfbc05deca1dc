"""Masked-token pretraining: BERT's masking rule, the windowed data module, a tiny run."""

import math

import pytest
import torch

from lightning_modules.data.masking import IGNORE_INDEX, BertMasking, pad_masked_batch
from lightning_modules.data.modules.classification import TextClassificationData
from lightning_modules.data.modules.masked_lm import MaskedLMData, cut_windows
from lightning_modules.models import EncoderClassifier, TransformerConfig
from lightning_modules.models.masked_lm import MaskedLM
from lightning_modules.run.train import run_training
from paretolab import settings
from paretolab.config.io import load_config
from paretolab.store import RunStore
from tests.conftest import REPO, queue_run, tiny_config

TINY_MLM = REPO / "configs" / "bbc_mlm_tiny.yaml"
MASK_ID, FIRST_REGULAR, VOCAB = 4, 5, 1000


def tiny_mlm(*overrides: str):
    return load_config(TINY_MLM, ["wandb.mode=disabled", *overrides])


def test_masking_follows_berts_15_percent_and_80_10_10_rule() -> None:
    gen = torch.Generator().manual_seed(0)
    ids = torch.randint(FIRST_REGULAR, VOCAB, (200_000,), generator=gen)
    ids[::7] = torch.arange(5).repeat(200_000 // 35 + 1)[: len(ids[::7])]  # specials and pad
    inputs, labels = BertMasking(0.15, MASK_ID, VOCAB, FIRST_REGULAR)(ids, gen)
    special = ids < FIRST_REGULAR
    chosen = labels != IGNORE_INDEX
    assert not chosen[special].any() and torch.equal(inputs[special], ids[special])
    assert torch.equal(labels[chosen], ids[chosen])
    assert torch.equal(inputs[~chosen], ids[~chosen])  # only chosen tokens change
    assert chosen[~special].float().mean().item() == pytest.approx(0.15, abs=0.005)
    masked = (inputs[chosen] == MASK_ID).float().mean().item()
    kept = (inputs[chosen] == ids[chosen]).float().mean().item()
    assert masked == pytest.approx(0.8, abs=0.01) and kept == pytest.approx(0.1, abs=0.01)
    random = inputs[chosen & (inputs != MASK_ID) & (inputs != ids)]
    assert random.min() >= FIRST_REGULAR and len(random) / chosen.sum() == pytest.approx(
        0.1, abs=0.01
    )


def test_every_window_gets_a_target_and_padding_is_ignored() -> None:
    masking = BertMasking(0.15, MASK_ID, VOCAB, FIRST_REGULAR)
    short = torch.tensor([2, 17])  # [CLS] + one token: 15% would often choose nothing
    assert all((masking(short)[1] == torch.tensor([IGNORE_INDEX, 17])).all() for _ in range(20))
    batch = pad_masked_batch([masking(short), masking(torch.arange(5, 25))])
    assert batch["input_ids"].shape == (2, 20)
    assert not batch["attention_mask"][0, 2:].any() and (batch["labels"][0, 2:] == -100).all()


def test_documents_are_cut_into_windows_covering_all_their_text() -> None:
    windows = cut_windows(list(range(10, 35)), 10, cls_id=2)
    assert [len(w) for w in windows] == [10, 10, 8]
    assert all(w[0] == 2 for w in windows)
    assert [t for w in windows for t in w[1:]] == list(range(10, 35))
    assert cut_windows([7, 8, 9], 2) == [[7, 8], [9]]


def test_val_masks_are_fixed_and_train_masks_fresh(tmp_path) -> None:
    data = MaskedLMData(tiny_mlm(), tmp_path)
    data.setup("fit")
    train, val = data.splits["train"], data.splits["val"]
    assert len(train) > 160  # more than one window per training article
    for i in range(5):
        assert all(torch.equal(a, b) for a, b in zip(val[i], val[i], strict=True))
    assert any(not torch.equal(train[i][1], train[i][1]) for i in range(5))
    assert (tmp_path / "tokenizer.json").exists() and data.vocab_size == 500


def test_labelled_corpora_are_split_like_the_classification_run(tmp_path) -> None:
    """Pretraining never reads the articles a classifier with the same data settings tests on."""
    for name in ("mlm", "clf"):
        (tmp_path / name).mkdir()
    mlm = MaskedLMData(tiny_mlm("data.limit_samples=300"), tmp_path / "mlm")
    mlm.setup("fit")
    tokenizer = (tmp_path / "mlm" / "tokenizer.json").read_bytes()
    (tmp_path / "clf" / "tokenizer.json").write_bytes(tokenizer)  # as init_from does
    clf = TextClassificationData(tiny_config(), tmp_path / "clf")
    clf.setup("fit")
    for split in ("train", "val", "test"):
        windows = {tuple(w) for w in mlm.splits[split].windows}
        assert all(tuple(ids) in windows for ids in clf.splits[split].ids), split


def test_the_mlm_encoder_loads_into_the_classifier_key_for_key() -> None:
    shape = TransformerConfig(VOCAB, 64, 32, 2, 2, 64, tie_weights=True, num_classes=5)
    mlm, clf = MaskedLM(shape), EncoderClassifier(shape)
    assert mlm.mlm_head.decoder.weight is mlm.encoder.embed.token.weight
    mlm_encoder = {k: v.shape for k, v in mlm.state_dict().items() if k.startswith("encoder.")}
    clf_encoder = {k: v.shape for k, v in clf.state_dict().items() if k.startswith("encoder.")}
    assert mlm_encoder == clf_encoder and len(mlm_encoder) > 10
    targets = torch.zeros(3, 8, dtype=torch.bool)
    targets[0, 1] = targets[2, 5] = True
    assert mlm(torch.randint(5, VOCAB, (3, 8)), targets=targets).shape == (2, VOCAB)


@pytest.mark.slow
def test_a_tiny_masked_lm_run_finishes_with_its_metrics(store: RunStore) -> None:
    run_id = queue_run(store, tiny_mlm())
    assert run_training(store, run_id) == "finished"
    latest = store.latest_metrics(run_id)
    for key in ("train_loss", "val_loss", "val_ppl", "val_acc", "test_loss", "test_acc"):
        assert key in latest, key
    assert latest["val_ppl"].value == pytest.approx(math.exp(latest["val_loss"].value), rel=1e-4)
    assert 0.0 < latest["val_acc"].value < 1.0
    assert latest["val_loss"].value < math.log(500)  # better than guessing uniformly
    assert (settings.run_dir(run_id) / "checkpoints" / "best.ckpt").exists()
