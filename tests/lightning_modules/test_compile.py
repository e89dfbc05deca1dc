"""``trainer.compile``: the training step's model and loss compiled as one graph, on CPU."""

from __future__ import annotations

import json

import pytest
import torch

from lightning_modules.run.train import run_training
from lightning_modules.tasks.language_modeling import LanguageModelTask
from paretolab import settings
from paretolab.config.io import load_config
from paretolab.store import RunStore
from tests.conftest import REPO, queue_run

COMPILED_LM = [
    "wandb.mode=disabled",
    "monitoring.enabled=false",
    "trainer.compile=true",
    "trainer.max_steps=3",
    "trainer.val_every_n_steps=3",  # validates (eagerly) after the third step
    "trainer.log_every_n_steps=1",
    "generate.num_samples=0",
]


def _lm(*overrides: str):
    return load_config(REPO / "configs" / "shakespeare_tiny.yaml", [*COMPILED_LM, *overrides])


@pytest.mark.slow
def test_a_compiled_run_trains_three_steps_through_one_graph(store: RunStore) -> None:
    torch._dynamo.reset()
    torch._dynamo.utils.counters.clear()
    run_id = queue_run(store, _lm())
    assert run_training(store, run_id) == "finished"
    steps = store.metric_history(run_id, "train_loss").steps
    assert len(steps) == 3
    assert {"val_loss", "test_loss"} <= set(store.latest_metrics(run_id))
    # The loss function was compiled once, and the three steps reused the graph (fixed
    # windows, dynamic=False); validation and testing ran eagerly beside it.
    assert torch._dynamo.utils.counters["stats"]["unique_graphs"] == 1
    # The compiling step is billed, but left out of throughput and MFU.
    cost = json.loads((settings.run_dir(run_id) / "cost.json").read_text())["figures"]
    assert 0 < cost["compile_seconds"] < cost["wall_seconds"] - cost["train_seconds"]
    expected_rate = cost["tokens"] * 2 / 3 / cost["train_seconds"]  # steps 2 and 3 of 3
    assert cost["tokens_per_sec"] == pytest.approx(expected_rate, rel=1e-6)
    # A compiled function, not a wrapped model: the checkpoint's keys are the model's own.
    ckpt = settings.run_dir(run_id) / "checkpoints" / "last.ckpt"
    keys = torch.load(ckpt, weights_only=True)["state_dict"]
    assert keys and not any("_orig_mod" in k for k in keys)


@pytest.mark.slow
def test_the_compiled_loss_is_the_eager_loss() -> None:
    torch._dynamo.reset()
    task = LanguageModelTask(_lm("model.dropout=0.0").model_dump(mode="json"), vocab_size=50)
    tokens = torch.randint(0, 50, (4, 33))
    batch = {"input_ids": tokens[:, :-1], "labels": tokens[:, 1:]}
    compiled = task.training_loss(batch)
    assert compiled.grad_fn is not None  # trains through the compiled graph
    assert compiled.item() == pytest.approx(task.loss_of(batch).item(), rel=1e-5)
    assert (
        task.state_dict().keys()
        == LanguageModelTask(_lm().model_dump(mode="json"), vocab_size=50).state_dict().keys()
    )


def test_without_compile_the_loss_runs_eagerly() -> None:
    task = LanguageModelTask(_lm("trainer.compile=false").model_dump(mode="json"), vocab_size=50)
    tokens = torch.randint(0, 50, (2, 9))
    task.training_loss({"input_ids": tokens[:, :-1], "labels": tokens[:, 1:]})
    assert "_compiled_loss" not in task.__dict__


def test_compiled_windows_fill_whole_batches_on_every_ddp_rank(tmp_path) -> None:
    """Each rank's share of the epoch is whole batches: no smaller last batch, no second
    graph mid-run."""
    from lightning_modules.data.modules.language_modeling import LanguageModelingData

    cfg = _lm(
        "hardware.accelerator=cpu",
        "hardware.devices=3",
        "hardware.strategy=ddp",
        "data.batch_size=7",
    )
    data = LanguageModelingData(cfg, tmp_path)
    data.setup("fit")
    assert len(data.splits["train"]) % (7 * 3) == 0  # validation runs eagerly
