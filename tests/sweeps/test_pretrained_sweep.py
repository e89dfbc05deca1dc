"""Sweeps over a pretrained model's fine-tuning: LoRA rank, learning rate and frozen layers,
with pruning (issue 20), on a tiny BERT saved with ``save_pretrained``."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from optuna.trial import TrialState

from paretolab.store import RunStore
from sweeps.worker import run_worker
from tests.sweeps.test_workers import sweep
from tests.tiny_hf import save_tiny_model

pytestmark = pytest.mark.slow


@pytest.fixture
def bert_base(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A base run config that fine-tunes a tiny BERT on a little BBC News."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    folder = save_tiny_model("bert", tmp_path / "bert")
    config = {
        "data": {"dataset": "bbc_news", "limit_samples": 90, "max_length": 24, "batch_size": 8},
        "model": {"pretrained": str(folder), "finetune": "lora"},
        "trainer": {"max_epochs": 2, "log_every_n_steps": 1},
        "hardware": {"num_threads": 1},
        "wandb": {"mode": "disabled"},
    }
    path = tmp_path / "base.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def test_a_lora_sweep_tries_ranks_and_prunes_a_trial_that_diverges(
    store: RunStore, new_sweep, bert_base: Path
) -> None:
    spec = new_sweep(
        study="lora",
        base=str(bert_base),
        n_trials=3,
        objectives=[{"metric": "val_loss", "direction": "minimize"}],
        pruner={"name": "median", "n_startup_trials": 2},
        parameters={
            "model.lora.r": {"type": "categorical", "choices": [2, 4]},
            "optim.lr": {"type": "categorical", "choices": [1.0e-3, 3.0]},
        },
        fixed={"wandb.mode": "disabled"},
    )
    study, _ = sweep(store, spec.study)
    study.enqueue_trial({"model.lora.r": 2, "optim.lr": 1.0e-3})
    study.enqueue_trial({"model.lora.r": 4, "optim.lr": 1.0e-3})
    study.enqueue_trial({"model.lora.r": 4, "optim.lr": 3.0})  # diverges: worse than the median
    assert run_worker(spec.study, store=store) == 3
    trials = study.get_trials()
    assert [t.state for t in trials][:2] == [TrialState.COMPLETE] * 2
    assert trials[2].state == TrialState.PRUNED, [t.intermediate_values for t in trials]
    for t in trials:
        run = store.get_run(t.user_attrs["run_id"])
        assert run.config["model"]["lora"]["r"] == t.params["model.lora.r"]
        assert run.config["model"]["family"] == "pretrained"
    # A bigger rank trains more adapter weights: the trials' cost figures say so.
    params = [store.latest_metrics(t.user_attrs["run_id"])["cost/params"].value for t in trials]
    assert params[0] < params[1] == params[2]


def test_a_sweep_over_frozen_layers(store: RunStore, new_sweep, bert_base: Path) -> None:
    spec = new_sweep(
        study="frozen",
        base=str(bert_base),
        n_trials=2,
        objectives=[{"metric": "val_acc", "direction": "maximize"}],
        parameters={"model.freeze_layers": {"type": "int", "low": 0, "high": 2, "step": 2}},
        fixed={"model.finetune": "freeze", "trainer.max_epochs": 1, "wandb.mode": "disabled"},
    )
    run_worker(spec.study, store=store)
    study, _ = sweep(store, spec.study)
    done = {t.params["model.freeze_layers"]: t for t in study.get_trials()}
    assert set(done) <= {0, 2} and all(t.state == TrialState.COMPLETE for t in done.values())
    for layers, t in done.items():
        run = store.get_run(t.user_attrs["run_id"])
        assert run.config["model"]["freeze_layers"] == layers
        trained = store.latest_metrics(run.id)["cost/flops_estimated"].value
        assert trained > 0
