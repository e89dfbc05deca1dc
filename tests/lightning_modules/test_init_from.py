"""model.init_from: a classifier starts from a masked-LM run's tokenizer and encoder weights."""

import lightning.pytorch as pl
import pytest
import torch

from lightning_modules.run.train import main, run_training
from paretolab import limits, settings
from paretolab.config.io import load_config
from paretolab.store import RunStore
from tests.conftest import REPO, queue_run, tiny_config


def pretrain(store: RunStore) -> int:
    """A finished tiny masked-LM run (same encoder shape and max_length as tiny.yaml)."""
    config = load_config(REPO / "configs" / "bbc_mlm_tiny.yaml", ["wandb.mode=disabled"])
    run_id = queue_run(store, config)
    assert run_training(store, run_id) == "finished"
    return run_id


class WeightsAtStart(pl.Callback):
    """Keeps a copy of the model's weights as training starts."""

    def on_train_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self.state = {k: v.detach().clone() for k, v in pl_module.state_dict().items()}


def fine_tune(store: RunStore, source: int, *overrides: str, callbacks=()) -> tuple[int, str]:
    run_id = queue_run(
        store, tiny_config(f"model.init_from={source}", "trainer.max_epochs=1", *overrides)
    )
    return run_id, run_training(store, run_id, extra_callbacks=list(callbacks))


def assert_failed(store: RunStore, run_id: int, status: str, message: str) -> None:
    run = store.get_run(run_id)
    assert status == run.status == "failed", run.error
    assert run.error == message


@pytest.mark.slow
def test_a_classifier_starts_from_the_pretrained_encoder_and_tokenizer(store: RunStore) -> None:
    source = pretrain(store)
    start = WeightsAtStart()
    run_id, status = fine_tune(store, source, "data.train_fraction=0.5", callbacks=[start])
    assert status == "finished", store.get_run(run_id).error
    src_dir, run_dir = settings.run_dir(source), settings.run_dir(run_id)
    assert (run_dir / "tokenizer.json").read_bytes() == (src_dir / "tokenizer.json").read_bytes()
    saved = torch.load(src_dir / "checkpoints" / "best.ckpt", weights_only=True)["state_dict"]
    encoder = [k for k in saved if k.startswith("model.encoder.")]
    assert len(encoder) == 18
    for key in encoder:
        assert torch.equal(start.state[key], saved[key]), key
    assert "model.head.1.weight" in start.state and "model.mlm_head.dense.weight" not in start.state
    line = f"loaded 18 tensors from run {source} (best checkpoint); 2 new (model.head)"
    assert line in store.get_run(run_id).notes
    assert line in (run_dir / "train.log").read_text()


def test_notes_near_their_limit_do_not_stop_a_fine_tune(store: RunStore) -> None:
    source = pretrain(store)
    notes = "n" * (limits.MAX_NOTES_CHARS - 10)  # valid, with no room for the loaded line
    run_id = queue_run(store, tiny_config(f"model.init_from={source}", "trainer.max_epochs=1"))
    store.set_notes(run_id, notes)
    assert run_training(store, run_id) == "finished", store.get_run(run_id).error
    assert store.get_run(run_id).notes == notes
    assert f"tensors from run {source}" in (settings.run_dir(run_id) / "train.log").read_text()


def test_an_unknown_run_fails_the_run_with_exit_code_2(store: RunStore, capsys) -> None:
    run_id = queue_run(store, tiny_config("model.init_from=99"))
    assert main(["--run-id", str(run_id)]) == 2
    message = (
        "model.init_from=99: no run 99 in the store; pick a finished run (`paretolab runs list`)"
    )
    assert_failed(store, run_id, "failed", message)
    assert message in capsys.readouterr().err


def test_an_unfinished_run_or_a_missing_checkpoint_is_refused(store: RunStore) -> None:
    queued = queue_run(store, tiny_config())
    run_id, status = fine_tune(store, queued)
    assert_failed(
        store,
        run_id,
        status,
        f"model.init_from={queued}: run {queued} is queued, not finished; "
        "wait until it has trained and finished",
    )
    store.mark_running(queued, pid=1)
    store.mark_finished(queued)  # finished, but its folder holds no checkpoint
    run_id, status = fine_tune(store, queued)
    ckpt = settings.run_dir(queued) / "checkpoints" / "best.ckpt"
    assert_failed(
        store,
        run_id,
        status,
        f"model.init_from={queued}: run {queued} has no best checkpoint ({ckpt}); "
        "its run folder has no checkpoints left",
    )


@pytest.mark.slow
def test_a_different_shape_names_the_parameter_and_the_setting(store: RunStore) -> None:
    source = pretrain(store)
    run_id, status = fine_tune(store, source, "model.d_model=64", "model.d_ff=128")
    assert_failed(
        store,
        run_id,
        status,
        f"model.init_from={source}: model.encoder.embed.token.weight is (500, 32) in run "
        f"{source} but (500, 64) here; use model.d_model=32 as run {source}",
    )
    run_id, status = fine_tune(store, source, "model.n_layers=2")
    assert_failed(
        store,
        run_id,
        status,
        f"model.init_from={source}: model.encoder.blocks.1.ln_attn.weight exists here but not "
        f"in run {source}; use model.n_layers=1 as run {source}",
    )
    run_id, status = fine_tune(store, source, "model.n_heads=4")
    assert "use model.n_heads=2 (its attention weights are split by head)" in (
        store.get_run(run_id).error or ""
    )
    assert status == "failed" and not (settings.run_dir(run_id) / "checkpoints").exists()
