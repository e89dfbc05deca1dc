"""Tiny pretrained (Hugging Face) runs for the attention tests, trained once per test process
through the real training path: a tiny BERT fine-tuned in full (mean-pooled head, and
transformers' own [CLS] head) and with LoRA on BBC News, and a tiny Llama language model."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

from lightning_modules.pretrained.mean_pooling import LOADER_FILE
from paretolab.config import RunConfig
from paretolab.config.io import parse_config
from paretolab.store import RunStore
from tests.conftest import TrainedRuns, _use_home, queue_run
from tests.tiny_hf import save_tiny_model

BBC = {"dataset": "bbc_news", "limit_samples": 120, "max_length": 32, "batch_size": 16}
SHAKESPEARE = {"dataset": "shakespeare", "limit_samples": 100, "max_length": 32, "batch_size": 16}
RUNS = {  # name → (tiny model, task, data, model fields)
    "bert": ("bert", "classification", BBC, {}),  # pooling: mean, the default
    "bert_cls": ("bert", "classification", BBC, {"pooling": "cls"}),
    "bert_lora": ("bert", "classification", BBC, {"finetune": "lora"}),
    "llama": ("llama", "language_modeling", SHAKESPEARE, {}),
}
_TRAINED: dict[str, TrainedRuns] = {}


def pretrained_config(folder: Path, task: str, data: dict, model: dict | None = None) -> RunConfig:
    """A one-epoch config fine-tuning the checkpoint in ``folder``."""
    trainer = {"max_epochs": 1, "log_every_n_steps": 2}
    if task == "language_modeling":
        trainer |= {"monitor": "val_loss", "monitor_mode": "min"}
    return parse_config(
        {
            "name": f"tiny-{folder.name}",
            "task": task,
            "model": {"pretrained": str(folder), **(model or {})},
            "data": data,
            "trainer": trainer,
            "generate": {"max_new_tokens": 8, "num_samples": 1},
            "wandb": {"mode": "disabled"},
            "hardware": {"num_threads": 1},
        }
    )


def tiny_folder(root: Path, kind: str) -> Path:
    """``root/kind``, holding a tiny random ``kind`` checkpoint (saved on first use)."""
    folder = root / kind
    return folder if (folder / "config.json").is_file() else save_tiny_model(kind, folder)


@pytest.fixture
def pretrained_runs(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> TrainedRuns:
    """A home holding the finished ``RUNS`` (trained once per process, on first use), used
    by this test."""
    if "runs" not in _TRAINED:
        _TRAINED["runs"] = _train_all(tmp_path_factory.mktemp("pretrained"))
    trained = _TRAINED["runs"]
    _use_home(monkeypatch, trained.home)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    return trained


def _train_all(root: Path) -> TrainedRuns:
    from lightning_modules.run.train import run_training

    home, ids = root / "home", {}
    with pytest.MonkeyPatch.context() as mp:
        _use_home(mp, home)
        mp.setenv("HF_HUB_OFFLINE", "1")
        store = RunStore()
        for name, (kind, task, data, model) in RUNS.items():
            config = pretrained_config(tiny_folder(root, kind), task, data, model)
            ids[name] = queue_run(store, config)
            assert run_training(store, ids[name]) == "finished", store.get_run(ids[name]).error
    return TrainedRuns(home, ids)


def exported_loader(folder: Path) -> ModuleType:
    """The ``mean_pooling.py`` an export of a mean-pooled run wrote, imported from the
    folder itself (as a user without paretolab would)."""
    spec = importlib.util.spec_from_file_location("exported_mean_pooling", folder / LOADER_FILE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
