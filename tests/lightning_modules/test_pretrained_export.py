"""`paretolab export-model`: a pretrained run's model, LoRA merged, as a plain HF folder."""

from __future__ import annotations

import json
import re
from importlib.metadata import EntryPoint
from pathlib import Path

import pytest
import torch

from lightning_modules.inspection.loading import load_run
from lightning_modules.pretrained import mean_pooling
from lightning_modules.pretrained.export import EXPORT_FILE
from lightning_modules.pretrained.mean_pooling import HEAD_FILE
from lightning_modules.run.train import run_training
from paretolab import cli
from paretolab.config import RunConfig
from paretolab.config.io import parse_config
from paretolab.store import RunStore
from tests.conftest import REPO, queue_run
from tests.pretrained_runs import exported_loader
from tests.tiny_hf import save_tiny_model

TEXTS = ["the bank raised interest rates", "the team won the football match again"]


def use_declared_commands(monkeypatch: pytest.MonkeyPatch) -> None:
    """Load ``paretolab``'s plug-in commands from this checkout's pyproject.toml (the
    installed package's metadata may predate a command added here)."""
    group = "paretolab.commands"
    text = (REPO / "pyproject.toml").read_text(encoding="utf-8")  # no tomllib in Python 3.10
    section = text.split(f'[project.entry-points."{group}"]')[1].split("\n[")[0]
    table = re.findall(r'^([\w-]+) = "([\w.:]+)"$', section, re.MULTILINE)
    found = [EntryPoint(name, value, group) for name, value in table]
    assert ("export-model", "lightning_modules.pretrained.export_cli:register") in table
    monkeypatch.setattr(cli, "entry_points", lambda group: found)


def bert_classifier_config(folder: Path, finetune: str, pooling: str = "cls") -> RunConfig:
    return parse_config(
        {
            "data": {"dataset": "bbc_news", "limit_samples": 120, "max_length": 32},
            "model": {"pretrained": str(folder), "finetune": finetune, "pooling": pooling},
            "optim": {"lr": 0.01, "warmup_steps": 2},
            "trainer": {"max_epochs": 1, "log_every_n_steps": 2},
            "hardware": {"num_threads": 1},
            "wandb": {"mode": "disabled"},
        }
    )


@pytest.fixture
def bert(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    use_declared_commands(monkeypatch)
    return save_tiny_model("bert", tmp_path / "bert")


@pytest.mark.slow
@pytest.mark.parametrize("finetune", ["lora", "full"])
def test_an_exported_classifier_loads_without_paretolab_and_gives_the_same_logits(
    store: RunStore, bert: Path, tmp_path: Path, capsys, finetune: str
) -> None:
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    run_id = queue_run(store, bert_classifier_config(bert, finetune))
    assert run_training(store, run_id) == "finished", store.get_run(run_id).error
    out = tmp_path / "export"
    assert cli.main(["export-model", str(run_id), "--out", str(out)]) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1] == str(out)
    record = json.loads((out / EXPORT_FILE).read_text(encoding="utf-8"))
    assert record["run_id"] == run_id and record["finetune"] == finetune
    assert record["source_model"] == str(bert) and "test_acc" in record["metrics"]

    exported = AutoModelForSequenceClassification.from_pretrained(out).eval()
    tokenizer = AutoTokenizer.from_pretrained(out)
    assert type(exported).__name__ == "BertForSequenceClassification"  # no adapters left
    assert not any("lora" in name for name, _ in exported.named_parameters())
    restored = load_run(run_id, "best", store)
    for text in TEXTS:
        ids = restored.tokenizer.encode(text).ids
        encoded = tokenizer(text, return_tensors="pt")
        assert encoded["input_ids"][0].tolist() == ids  # [CLS] … [SEP], as in training
        batch = {"input_ids": torch.tensor([ids]), "attention_mask": torch.ones(1, len(ids))}
        with torch.no_grad():
            expected = restored.task(batch)
            got = exported(**encoded).logits
        torch.testing.assert_close(got, expected, atol=1e-5, rtol=0)


@pytest.mark.slow
@pytest.mark.parametrize("finetune", ["lora", "full"])
def test_a_mean_pooled_export_is_the_base_model_a_head_and_its_loader(
    store: RunStore, bert: Path, tmp_path: Path, finetune: str, monkeypatch
) -> None:
    from transformers import AutoModel, AutoTokenizer

    run_id = queue_run(store, bert_classifier_config(bert, finetune, pooling="mean"))
    assert run_training(store, run_id) == "finished", store.get_run(run_id).error
    out = tmp_path / "export"
    assert cli.main(["export-model", str(run_id), "--out", str(out)]) == 0
    record = json.loads((out / EXPORT_FILE).read_text(encoding="utf-8"))
    assert record["pooling"] == "mean" and record["head_file"] == HEAD_FILE
    assert type(AutoModel.from_pretrained(out)).__name__ == "BertModel"
    loader = exported_loader(out)
    assert loader.__file__ != mean_pooling.__file__  # the folder's own copy, not ours
    exported = loader.load_exported(out)
    assert not any("lora" in name for name, _ in exported.named_parameters())
    tokenizer = AutoTokenizer.from_pretrained(out)
    restored = load_run(run_id, "best", store)
    encoded = tokenizer(TEXTS, return_tensors="pt", padding=True)
    with torch.no_grad():
        expected = restored.task(dict(encoded))
        got = exported(**encoded).logits
    torch.testing.assert_close(got, expected, atol=1e-5, rtol=0)
    trusted: list[bool] = []  # the loader passes trust_remote_code on to transformers
    original = AutoModel.from_pretrained

    def recorded(folder, **kwargs):
        trusted.append(kwargs["trust_remote_code"])
        return original(folder, **kwargs)

    monkeypatch.setattr(AutoModel, "from_pretrained", recorded)
    loader.load_exported(out)
    loader.load_exported(out, trust_remote_code=True)
    assert trusted == [False, True]
