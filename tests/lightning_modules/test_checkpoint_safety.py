"""A checkpoint is a pickle: a malicious one must never run code, on any path that reads one."""

from __future__ import annotations

import pickle

import pytest
import torch

from lightning_modules.callbacks.checkpoints import AtomicCheckpointIO
from lightning_modules.run.train import run_training
from paretolab import settings
from paretolab.executors import launcher
from paretolab.store import RunStore
from tests.conftest import queue_run, tiny_config


class Payload:
    """Unpickling this writes a marker file: proof that loading ran code."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (exec, (f"open({self.marker!r}, 'w').write('pwned')",))


def write_malicious_checkpoint(path, marker) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"global_step": 1, "state_dict": {}, "evil": Payload(marker)}, path)


def test_the_checkpoint_io_refuses_a_pickle_that_runs_code(tmp_path) -> None:
    marker, ckpt = tmp_path / "pwned", tmp_path / "evil.ckpt"
    write_malicious_checkpoint(ckpt, marker)
    with pytest.raises(pickle.UnpicklingError):
        AtomicCheckpointIO().load_checkpoint(ckpt)
    with pytest.raises(ValueError, match="weights_only=True only"):
        AtomicCheckpointIO().load_checkpoint(ckpt, weights_only=False)
    assert not marker.exists()


@pytest.mark.slow
def test_resuming_from_a_planted_checkpoint_fails_without_running_it(store: RunStore) -> None:
    run_id = queue_run(store, tiny_config("trainer.max_steps=3"))
    assert run_training(store, run_id) == "finished"
    marker = settings.run_dir(run_id) / "pwned"
    write_malicious_checkpoint(settings.run_dir(run_id) / "checkpoints" / "last.ckpt", marker)
    store.get_run(run_id)
    with store.engine.begin() as conn:  # pretend it was cancelled, then resumed
        from paretolab.store.schema import runs

        conn.execute(runs.update().where(runs.c.id == run_id).values(status="cancelled"))
    launcher.requeue_for_resume(store, run_id)
    assert run_training(store, run_id) == "failed"
    assert "UnpicklingError" in store.get_run(run_id).error
    assert not marker.exists()


def test_every_torch_load_in_the_code_is_weights_only() -> None:
    from tests.conftest import REPO

    for package in ("paretolab", "lightning_modules", "sweeps", "dashboard"):
        for path in (REPO / package).rglob("*.py"):
            for line in path.read_text(encoding="utf-8").splitlines():
                if "torch.load(" in line and "``" not in line:
                    assert "weights_only=True" in line, f"{path}: {line.strip()}"
