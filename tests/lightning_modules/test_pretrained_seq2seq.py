"""Pretrained seq2seq: a tiny T5 fine-tuned on the built-in copy task, in full and with LoRA."""

from pathlib import Path

import pytest
import torch

from lightning_modules.data.modules.pretrained_seq2seq import LABEL_PAD, PretrainedSeq2SeqData
from lightning_modules.inspection.loading import load_run
from lightning_modules.pretrained.export import export_model
from lightning_modules.run.init_from import read_checkpoint
from lightning_modules.run.train import run_training
from lightning_modules.tasks.pretrained_seq2seq import PretrainedSeq2SeqTask
from paretolab import settings
from paretolab.config import RunConfig
from paretolab.config.io import parse_config
from paretolab.store import RunStore
from tests.conftest import queue_run
from tests.tiny_hf import save_tiny_model


def t5_copy_config(folder: Path, finetune: str = "full", **generate: object) -> RunConfig:
    """The built-in copy task (digit strings) for a pretrained T5 in ``folder``."""
    return parse_config(
        {
            "task": "seq2seq",
            "data": {
                "dataset": "copy",
                "num_examples": 200,
                "sequence_length": [1, 4],
                "max_length": 16,
                "batch_size": 16,
            },
            "model": {"pretrained": str(folder), "finetune": finetune},
            "optim": {"lr": 0.003, "warmup_steps": 2},
            "trainer": {"max_epochs": 1, "log_every_n_steps": 2},
            "generate": {"num_beams": 2, **generate},
            "hardware": {"num_threads": 1},
            "wandb": {"mode": "disabled"},
        }
    )


@pytest.fixture
def t5(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    return save_tiny_model("t5", tmp_path / "t5")


def test_batches_frame_targets_with_the_checkpoint_start_end_and_pad_tokens(
    t5: Path, tmp_path: Path
) -> None:
    (tmp_path / "run").mkdir()
    data = PretrainedSeq2SeqData(t5_copy_config(t5), tmp_path / "run")
    data.setup("fit")
    assert (data.bos_id, data.eos_id, data.pad_id) == (0, 1, 0)  # T5's start, </s>, <pad>
    assert (tmp_path / "run" / "tokenizer.json").is_file()
    assert (tmp_path / "run" / "target_tokenizer.json").is_file()
    batch = next(iter(data.train_dataloader()))
    for row in range(batch["labels"].shape[0]):
        labels = batch["labels"][row]
        n = int((labels != LABEL_PAD).sum())
        assert labels[n - 1] == data.eos_id and bool((labels[n:] == LABEL_PAD).all())
        assert batch["target_in"][row, 0] == data.bos_id
        assert torch.equal(batch["target_in"][row, 1:n], labels[: n - 1])
        source_len = int(batch["source_mask"][row].sum())
        assert bool((batch["source"][row, source_len:] == data.pad_id).all())
    text = data.target_tokenizer.decode(batch["labels"][row, : n - 1].tolist())
    assert text.isdigit()  # plain tokens of the target, no special token inside


@pytest.mark.slow
def test_a_tiny_t5_fine_tunes_on_copy_and_its_checkpoint_restores(
    store: RunStore, t5: Path
) -> None:
    run_id = queue_run(store, t5_copy_config(t5))
    assert run_training(store, run_id) == "finished", store.get_run(run_id).error
    latest = store.latest_metrics(run_id)
    for key in ("val_loss", "val_exact_match", "test_loss", "test_token_acc", "test_bleu"):
        assert key in latest, key
    folder = settings.run_dir(run_id)
    assert (folder / "translations.jsonl").read_text(encoding="utf-8").count("\n") == 20
    saved = read_checkpoint(folder / "checkpoints" / "best.ckpt")
    assert any("shared.weight" in k for k in saved["state_dict"])  # the whole T5 is saved
    loaded = load_run(run_id, "best", store)
    assert isinstance(loaded.task, PretrainedSeq2SeqTask)
    ids = loaded.tokenizer.encode("123").ids
    batch = {"source": torch.tensor([ids]), "source_mask": torch.ones(1, len(ids), dtype=bool)}
    with torch.no_grad():
        out = loaded.task.decode(batch, num_beams=2)
    assert out.shape[0] == 1 and out.shape[1] <= loaded.task.hparams.max_target_tokens


@pytest.mark.slow
def test_a_lora_t5_run_checkpoints_its_adapters_only_and_exports_merged(
    store: RunStore, t5: Path, tmp_path: Path
) -> None:
    full = queue_run(store, t5_copy_config(t5, "full"))
    lora = queue_run(store, t5_copy_config(t5, "lora", num_beams=1))
    assert run_training(store, full) == "finished", store.get_run(full).error
    assert run_training(store, lora) == "finished", store.get_run(lora).error
    assert "test_exact_match" in store.latest_metrics(lora)
    path = settings.run_dir(lora) / "checkpoints" / "best.ckpt"
    keys = list(read_checkpoint(path)["state_dict"])
    assert keys and all(".lora_A." in k or ".lora_B." in k for k in keys)
    full_size = (settings.run_dir(full) / "checkpoints" / "best.ckpt").stat().st_size
    assert path.stat().st_size < full_size / 3
    loaded = load_run(lora, "last", store)  # the frozen weights come from the T5 folder
    assert type(loaded.task.model).__name__ == "PeftModelForSeq2SeqLM"
    batch = {
        "source": torch.tensor([loaded.tokenizer.encode("4321").ids]),
        "source_mask": torch.ones(1, 4, dtype=torch.bool),
        "target_in": torch.tensor([[0, 5, 6]]),
    }
    with torch.no_grad():
        expected = loaded.task(batch)
    export_model(lora, tmp_path / "export", "last", store)  # merges the adapters
    from transformers import AutoModelForSeq2SeqLM

    exported = AutoModelForSeq2SeqLM.from_pretrained(tmp_path / "export").eval()
    with torch.no_grad():
        got = exported(input_ids=batch["source"], decoder_input_ids=batch["target_in"]).logits
    torch.testing.assert_close(got, expected, atol=1e-5, rtol=0)
