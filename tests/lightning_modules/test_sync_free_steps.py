"""No host-device synchronisation on a training step that does not log (issue 26).

A real tiny run (the Trainer ``paretolab train`` builds: store logger, cost tracking,
system metrics, checkpoint callback, progress bar, stop signals) trains with
``torch.Tensor``'s host-reading methods patched to count their callers. On a GPU each such
call (``.item()``, ``float(t)``, ``bool(t)``, ``.cpu()``, ``.tolist()``…) waits for the
device; on the CPU we can only count them, which is what this does. Calls made inside torch
itself (the optimiser reading its step counters) and the steps that log, the first (its FLOPs
are measured) and the last (fit ends) are left out.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import lightning.pytorch as pl
import pytest
import torch
from torch.utils.data import DataLoader

from lightning_modules.run.stop_signals import StopSignals
from lightning_modules.run.trainers import build_trainer, make_loggers
from lightning_modules.tasks import ClassificationTask, LanguageModelTask
from paretolab.config import RunConfig
from paretolab.config.io import load_config
from paretolab.executors.training_process import prepare_run_dir
from paretolab.store import RunStore
from tests.conftest import REPO, queue_run

HOST_READS = ("item", "tolist", "cpu", "numpy", "__float__", "__int__", "__bool__")
TORCH_DIR = str(Path(torch.__file__).parent)
STEPS, LOG_EVERY = 24, 6


class SyncCounter(pl.Callback):
    """Records who reads a tensor on the host, and in which training batch."""

    def __init__(self) -> None:
        self.batch: int | None = None  # None: before training or after it
        self.calls: list[tuple[int, str]] = []

    def on_train_batch_start(self, trainer: Any, pl_module: Any, batch: Any, idx: int) -> None:
        self.batch = idx

    def on_train_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self.batch = None

    def patch(self, monkeypatch: pytest.MonkeyPatch) -> None:
        for name in HOST_READS:
            original = getattr(torch.Tensor, name)
            monkeypatch.setattr(torch.Tensor, name, self._counting(name, original))

    def _counting(self, name: str, original: Any) -> Any:
        def read(tensor: torch.Tensor, *args: Any, **kwargs: Any) -> Any:
            caller = _first_caller_outside_torch()
            if self.batch is not None and caller is not None:
                self.calls.append((self.batch, f"{name} from {caller}"))
            return original(tensor, *args, **kwargs)

        return read

    def quiet_step_calls(self) -> list[tuple[int, str]]:
        """Calls in batches that neither log nor start or end training."""
        logging = {b for b in range(STEPS) if (b + 1) % LOG_EVERY == 0} | {0, STEPS - 1}
        return [(b, who) for b, who in self.calls if b not in logging]


def _first_caller_outside_torch() -> str | None:
    """The nearest frame outside torch and the three around it (``file:line`` each, inner
    first); None when torch calls itself."""
    frame = sys._getframe(2)
    if frame.f_code.co_filename.startswith(TORCH_DIR):
        return None
    where = []
    while frame is not None and len(where) < 4:
        where.append(f"{frame.f_code.co_filename}:{frame.f_lineno}")
        frame = frame.f_back
    return " < ".join(where)


def _batches(cfg: RunConfig, task: str) -> list[dict[str, torch.Tensor]]:
    """STEPS batches held in memory: the data pipeline runs on the host in every case."""
    g = torch.Generator().manual_seed(0)
    n, t = cfg.data.batch_size, cfg.data.max_length
    ids = torch.randint(1, 50, (STEPS * n, t + 1), generator=g)
    if task == "language_modeling":
        return [{"input_ids": row[:-1], "labels": row[1:]} for row in ids]
    mask = torch.ones(t, dtype=torch.long)
    return [
        {"input_ids": row[:-1], "attention_mask": mask, "labels": torch.tensor(i % 3)}
        for i, row in enumerate(ids)
    ]


def _tiny_run(store: RunStore, task: str, extra: list[pl.Callback]) -> tuple[pl.Trainer, int]:
    """Train the task for STEPS steps with the studio's Trainer, callbacks and store logger."""
    settings = [
        f"trainer.max_steps={STEPS}",
        f"trainer.log_every_n_steps={LOG_EVERY}",
        "trainer.val_every_n_steps=null",
        "trainer.check_val_every_n_epoch=1000",
        "trainer.early_stopping=null",
        "monitoring.interval_s=0.1",
    ]
    config_file = "shakespeare_tiny.yaml" if task == "language_modeling" else "tiny.yaml"
    cfg = load_config(REPO / "configs" / config_file, ["wandb.mode=disabled", *settings])
    run = store.get_run(queue_run(store, cfg))
    run_dir = prepare_run_dir(run)
    loggers = make_loggers(cfg, store, run.id, run_dir)
    stops = StopSignals(run_dir / "checkpoints")
    trainer = build_trainer(cfg, run_dir, loggers, [stops, *extra], progress_bar=True)
    config = cfg.model_dump(mode="json")
    torch.manual_seed(0)
    module = (
        LanguageModelTask(config, 50)
        if task == "language_modeling"
        else ClassificationTask(config, 50, ["a", "b", "c"])
    )
    loader = DataLoader(_batches(cfg, task), batch_size=cfg.data.batch_size)
    trainer.fit(module, train_dataloaders=loader)
    return trainer, run.id


@pytest.mark.slow
@pytest.mark.parametrize("task", ["language_modeling", "classification"])
def test_no_callback_reads_a_tensor_on_a_step_that_does_not_log(
    store: RunStore, monkeypatch: pytest.MonkeyPatch, task: str
) -> None:
    counter = SyncCounter()
    counter.patch(monkeypatch)
    trainer, run_id = _tiny_run(store, task, [counter])
    assert any(b % LOG_EVERY == LOG_EVERY - 1 for b, _ in counter.calls)  # logging steps read
    quiet = counter.quiet_step_calls()
    assert quiet == [], "\n".join(f"batch {b}: {who}" for b, who in quiet)
    # The bar still shows the train loss: the one the store took last.
    shown = trainer.progress_bar_callback.get_metrics(trainer, trainer.lightning_module)
    assert shown["train_loss"] == store.latest_metrics(run_id)["train_loss"].value


class SyncsEveryStep(pl.Callback):
    """What the test must catch: a callback that reads the loss on every step."""

    def on_train_batch_end(self, trainer: Any, pl_module: Any, outputs: Any, *args: Any) -> None:
        self.last_loss = float(outputs["loss"])


@pytest.mark.slow
def test_a_callback_that_syncs_every_step_is_caught(
    store: RunStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    counter = SyncCounter()
    counter.patch(monkeypatch)
    _tiny_run(store, "language_modeling", [counter, SyncsEveryStep()])
    quiet = counter.quiet_step_calls()
    assert quiet and all("__float__ from" in who and __file__ in who for _, who in quiet)
    assert {b for b, _ in quiet} == {b for b in range(1, STEPS - 1) if (b + 1) % LOG_EVERY != 0}
