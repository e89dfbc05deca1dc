"""The language-modelling slice: char tokenizer, token windows, a tiny run end to end."""

import math

import numpy as np
import pytest
import torch

from lightning_modules.data.modules.language_modeling import LanguageModelingData, TokenWindows
from lightning_modules.data.tokenization import train_tokenizer
from lightning_modules.run.train import run_training
from paretolab import settings
from paretolab.config.io import load_config, parse_config
from paretolab.errors import ConfigError, UserError
from paretolab.store import RunStore
from tests.conftest import REPO, queue_run

TINY_LM = REPO / "configs" / "shakespeare_tiny.yaml"


def tiny_lm(*overrides: str):
    return load_config(TINY_LM, ["wandb.mode=disabled", *overrides])


def test_char_tokenizer_round_trips_text_exactly() -> None:
    text = "First Citizen:\nBefore we proceed any further, hear me speak.\n\n  All: Speak, speak."
    tok = train_tokenizer([text], "char", 200, 2, lowercase=False)
    ids = tok.encode(text).ids
    assert len(ids) == len(text)
    assert tok.decode(ids) == text


def test_training_windows_are_shifted_by_one_and_eval_windows_cover_the_split() -> None:
    tokens = np.arange(100, dtype=np.int32)
    train = TokenWindows(tokens, length=8, random=True, windows_per_epoch=5)
    item = train[0]
    assert len(train) == 5 and torch.equal(item["labels"][:-1], item["input_ids"][1:])
    val = TokenWindows(tokens, length=8, random=False)
    assert len(val) == 12 and val[11]["labels"][-1] == 96
    assert torch.equal(val[1]["input_ids"], torch.arange(8, 16))


def test_data_module_splits_by_position_and_reports_chars_per_token(tmp_path) -> None:
    data = LanguageModelingData(tiny_lm(), tmp_path)
    data.setup("fit")
    assert (tmp_path / "tokenizer.json").exists() and data.chars_per_token == pytest.approx(1.0)
    assert len(data.splits["val"]) > 10 and len(data.splits["test"]) > 10


def test_too_little_text_is_a_clear_error(tmp_path) -> None:
    data = LanguageModelingData(tiny_lm("data.limit_samples=50", "data.max_length=1024"), tmp_path)
    with pytest.raises(UserError, match="fewer than data.max_length=1024"):
        data.setup("fit")


def test_task_dataset_and_family_must_agree() -> None:
    with pytest.raises(
        ConfigError, match="model.family='encoder_classifier' serves task 'classification'"
    ):
        parse_config({"task": "language_modeling", "data": {"dataset": "shakespeare"}})


def test_a_tiny_language_model_run_finishes_with_its_metrics_and_samples(store: RunStore) -> None:
    run_id = queue_run(store, tiny_lm())
    assert run_training(store, run_id) == "finished"
    latest = store.latest_metrics(run_id)
    for key in (
        "train_loss",
        "val_loss",
        "val_ppl",
        "val_bpc",
        "test_loss",
        "test_ppl",
        "test_bpc",
    ):
        assert key in latest, key
    assert latest["val_ppl"].value == pytest.approx(math.exp(latest["val_loss"].value), rel=1e-4)
    assert latest["val_bpc"].value == pytest.approx(
        latest["val_loss"].value / math.log(2), rel=1e-4
    )
    assert latest["val_loss"].value < math.log(200)  # learned something beyond uniform
    samples = (settings.run_dir(run_id) / "samples.txt").read_text()
    assert samples.count("--- sample") == 2
    assert "samples.txt" in {a.path for a in store.list_artifacts(run_id)}
