"""Bad pretrained-model input: each a one-line error before any run is stored (issue 20).

The checks run in ``paretolab train``'s pretrained-check process (a real child process,
as in use), against tiny models saved with ``save_pretrained`` — nothing is downloaded."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from paretolab.store import RunStore
from tests.bad_input.test_bad_input import assert_refused
from tests.tiny_hf import save_tiny_model

pytestmark = pytest.mark.slow  # each case starts a process that imports transformers


@pytest.fixture(scope="module")
def bert(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_tiny_model("bert", tmp_path_factory.mktemp("hf") / "bert")


@pytest.fixture(autouse=True)
def offline(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf-cache"))  # empty


def config_file(folder: Path, model: dict, **sections: object) -> Path:
    raw = {
        "data": {"dataset": "bbc_news", "limit_samples": 60, "max_length": 16},
        "model": model,
        "wandb": {"mode": "disabled"},
        **sections,
    }
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    return path


def test_a_path_that_does_not_exist(tmp_path, capsys, store: RunStore) -> None:
    path = config_file(tmp_path, {"pretrained": str(tmp_path / "nowhere")})
    assert_refused(["train", str(path)], "no such folder", capsys, store)


def test_a_folder_without_config_json(tmp_path, capsys, store: RunStore) -> None:
    (tmp_path / "weights").mkdir()
    path = config_file(tmp_path, {"pretrained": str(tmp_path / "weights")})
    assert_refused(["train", str(path)], "has no config.json", capsys, store)


def test_a_config_json_that_is_not_json(tmp_path, capsys, store: RunStore) -> None:
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "config.json").write_text("{model_type: bert", encoding="utf-8")
    path = config_file(tmp_path, {"pretrained": str(tmp_path / "broken")})
    assert_refused(["train", str(path)], "is not valid JSON", capsys, store)


def test_a_hub_id_while_offline(tmp_path, capsys, store: RunStore) -> None:
    path = config_file(tmp_path, {"pretrained": "someone/not-on-this-machine"})
    cache = tmp_path / "hf-cache"
    fragment = "is not on this machine and HF_HUB_OFFLINE is set; looked in "
    assert_refused(["train", str(path)], fragment, capsys, store)
    assert_refused(["train", str(path)], f"the Hugging Face cache {cache}", capsys, store)


def test_an_encoder_asked_for_causal_language_modelling(
    tmp_path, bert: Path, capsys, store: RunStore
) -> None:
    path = config_file(
        tmp_path,
        {"pretrained": str(bert)},
        task="language_modeling",
        data={"dataset": "shakespeare", "limit_samples": 60, "max_length": 16},
    )
    assert_refused(["train", str(path)], "is an encoder (it attends both ways)", capsys, store)


def test_a_lora_target_the_model_does_not_have(
    tmp_path, bert: Path, capsys, store: RunStore
) -> None:
    model = {"pretrained": str(bert), "finetune": "lora", "lora": {"target_modules": ["qkv"]}}
    path = config_file(tmp_path, model)
    assert_refused(["train", str(path)], "'qkv' is not a linear layer", capsys, store)


def test_more_frozen_layers_than_the_model_has(
    tmp_path, bert: Path, capsys, store: RunStore
) -> None:
    model = {"pretrained": str(bert), "finetune": "freeze", "freeze_layers": 5}
    path = config_file(tmp_path, model)
    assert_refused(["train", str(path)], "has 2 blocks; choose 0 to 2", capsys, store)


def test_a_model_that_needs_remote_code_not_allowed(
    tmp_path, bert: Path, capsys, store: RunStore
) -> None:
    remote = tmp_path / "remote"
    remote.mkdir()
    raw = json.loads((bert / "config.json").read_text())
    raw["auto_map"] = {"AutoModel": "modeling_custom.CustomModel"}
    (remote / "config.json").write_text(json.dumps(raw), encoding="utf-8")
    path = config_file(tmp_path, {"pretrained": str(remote)})
    assert_refused(["train", str(path)], "needs its own Python code", capsys, store)


def test_the_tokenizer_section_with_a_pretrained_model(
    tmp_path, bert: Path, capsys, store: RunStore
) -> None:
    path = config_file(tmp_path, {"pretrained": str(bert)}, tokenizer={"vocab_size": 300})
    assert_refused(["train", str(path)], "brings its own tokenizer", capsys, store)


@pytest.mark.parametrize(
    "model, sections, message",
    [
        (
            {"pooling": "cls"},
            {"task": "language_modeling", "data": {"dataset": "shakespeare"}},
            "model.pooling=cls applies to",
        ),
        ({}, {"optim": {"head_lr": 0.01, "optimizer": "muon"}}, "not muon; remove optim.head_lr"),
        (
            {},
            {
                "task": "language_modeling",
                "data": {"dataset": "shakespeare"},
                "optim": {"head_lr": 0.01},
            },
            "trains the model's own output layer",
        ),
    ],
    ids=["cls-pooling-for-a-language-model", "head-lr-with-muon", "head-lr-for-a-language-model"],
)
def test_a_pooling_or_head_rate_that_does_not_apply(
    tmp_path, bert: Path, capsys, store: RunStore, model: dict, sections: dict, message: str
) -> None:
    path = config_file(tmp_path, {"pretrained": str(bert), **model}, **sections)
    assert_refused(["train", str(path)], message, capsys, store)


def test_a_head_rate_for_a_model_trained_from_scratch(tmp_path, capsys, store: RunStore) -> None:
    path = config_file(tmp_path, {"family": "encoder_classifier"}, optim={"head_lr": 0.01})
    assert_refused(["train", str(path)], "a model trained from scratch learns at", capsys, store)
