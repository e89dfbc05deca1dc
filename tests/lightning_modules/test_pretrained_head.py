"""The mean-pooled head on a pretrained encoder (``model.pooling: mean``) and the new head's
own learning rate (``optim.head_lr``), on a tiny random BERT: its groups, and a LoRA run
with both cancelled and resumed."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from lightning_modules.optim import build_optimizer
from lightning_modules.pretrained.mean_pooling import MeanPooledClassifier, masked_mean
from lightning_modules.run.train import run_training
from lightning_modules.tasks.pretrained import PretrainedClassificationTask
from paretolab import settings
from paretolab.config.io import parse_config
from paretolab.executors import launcher
from paretolab.store import RunStore
from tests.conftest import queue_run
from tests.lightning_modules.test_resume import SigtermAtStep, StartProbe
from tests.tiny_hf import save_tiny_model


@pytest.fixture(scope="module")
def bert(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_tiny_model("bert", tmp_path_factory.mktemp("hf") / "bert")


def task_for(bert: Path, monkeypatch: pytest.MonkeyPatch, **model: object):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    config = parse_config(
        {
            "data": {"dataset": "bbc_news"},
            "model": {"pretrained": str(bert), **model},
            "optim": {"lr": 1e-4, "head_lr": 1e-3},
        }
    )
    task = PretrainedClassificationTask(config.model_dump(mode="json"), 0, list("abcde"), None)
    return config, task.eval()


def test_the_mean_counts_only_the_positions_the_mask_keeps() -> None:
    hidden = torch.tensor([[[1.0, 2.0], [3.0, 4.0], [100.0, 100.0]]])
    assert masked_mean(hidden, torch.tensor([[1, 1, 0]])).tolist() == [[2.0, 3.0]]
    torch.testing.assert_close(masked_mean(hidden, None), torch.tensor([[104 / 3, 106 / 3]]))


def test_mean_pooling_is_the_base_model_and_a_linear_head_and_ignores_padding(
    bert: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, task = task_for(bert, monkeypatch)
    model = task.model
    assert isinstance(model, MeanPooledClassifier) and model.body.pooler is None
    assert model.classifier.out_features == 5 and model.config.num_labels == 5
    assert set(task.state_dict()) >= {
        "model.classifier.weight",
        "model.bert.embeddings.word_embeddings.weight",
    }
    ids = torch.tensor([[2, 40, 41, 3]])
    alone = {"input_ids": ids, "attention_mask": torch.ones_like(ids)}
    padded = {
        "input_ids": torch.tensor([[2, 40, 41, 3, 0, 0]]),
        "attention_mask": torch.tensor([[1, 1, 1, 1, 0, 0]]),
    }
    with torch.no_grad():
        torch.testing.assert_close(task(padded), task(alone), atol=1e-5, rtol=0)


@pytest.mark.parametrize(
    "model, head",
    [
        ({}, {"classifier.weight", "classifier.bias"}),
        ({"pooling": "cls"}, {"classifier.weight", "classifier.bias"}),
        (
            {"finetune": "lora"},
            {
                "base_model.model.classifier.modules_to_save.default.weight",
                "base_model.model.classifier.modules_to_save.default.bias",
            },
        ),
    ],
    ids=["mean", "cls", "mean-lora"],
)
def test_head_lr_trains_exactly_the_new_head_faster(
    bert: Path, monkeypatch: pytest.MonkeyPatch, model: dict, head: set[str]
) -> None:
    config, task = task_for(bert, monkeypatch, **model)
    names = {id(p): n for n, p in task.model.named_parameters()}
    opt = build_optimizer(task.model, config.optim, is_head=task.new_head_parameter)
    by_rate = {
        rate: {names[id(p)] for g in opt.param_groups if g["lr"] == rate for p in g["params"]}
        for rate in (1e-4, 1e-3)
    }
    assert by_rate[1e-3] == head
    trained = {n for n, p in task.model.named_parameters() if p.requires_grad}
    assert by_rate[1e-4] == trained - head
    decayed = {names[id(p)] for g in opt.param_groups if g["weight_decay"] for p in g["params"]}
    assert {n for n in head if n.endswith("weight")} <= decayed
    assert not any(n.endswith("bias") for n in decayed)


@pytest.mark.slow
def test_a_cancelled_lora_run_with_a_head_rate_resumes_its_four_groups(
    store: RunStore, bert: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    config = parse_config(
        {
            "data": {"dataset": "bbc_news", "limit_samples": 90, "max_length": 24},
            "model": {"pretrained": str(bert), "finetune": "lora", "lora": {"r": 4}},
            "optim": {"lr": 1e-3, "head_lr": 1e-2, "warmup_steps": 0, "scheduler": "constant"},
            "trainer": {"max_epochs": 1000, "max_steps": 8, "log_every_n_steps": 1},
            "hardware": {"num_threads": 1},
            "wandb": {"mode": "disabled"},
        }
    )
    run_id = queue_run(store, config)
    assert run_training(store, run_id, [SigtermAtStep(3)]) == "cancelled"
    saved = torch.load(settings.run_dir(run_id) / "checkpoints" / "last.ckpt", weights_only=True)
    assert [g["lr"] for g in saved["optimizer_states"][0]["param_groups"]] == [
        1e-3,
        1e-3,
        1e-2,
        1e-2,
    ]
    launcher.requeue_for_resume(store, run_id)
    probe = StartProbe()
    assert run_training(store, run_id, [probe]) == "finished"
    assert probe.global_step == 3 and probe.optimizer_steps == {3}
