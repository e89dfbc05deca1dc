"""Per-step overhead of training (issues 9 and 26): no per-step log calls, a sparse progress
bar, no dispatch of hooks nothing implements."""

from __future__ import annotations

from contextlib import nullcontext
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import lightning.pytorch as pl
import torch
from lightning.pytorch.callbacks import ModelCheckpoint, TQDMProgressBar
from torch.utils.data import DataLoader

from lightning_modules.callbacks import progress_bar
from lightning_modules.callbacks.progress_bar import PROGRESS_REFRESH_STEPS, StoreProgressBar
from lightning_modules.run.lean_loop import (
    STEP_HOOKS,
    TRAIN_STEP_HOOKS,
    NoProfiler,
    skip_idle_checkpoint_check,
)
from lightning_modules.run.trainers import build_trainer
from lightning_modules.tasks import LanguageModelTask
from paretolab.config.io import load_config
from tests.conftest import REPO, tiny_config


def test_train_loss_and_lr_are_logged_on_logging_steps_only() -> None:
    cfg = load_config(REPO / "configs" / "shakespeare_tiny.yaml", ["wandb.mode=disabled"])
    task = LanguageModelTask(cfg.model_dump(mode="json"), vocab_size=11)
    opt = SimpleNamespace(param_groups=[{"lr": 0.1}])
    calls: list[tuple[int, str]] = []
    task.log = lambda name, value, **kw: calls.append((trainer.global_step, name))
    for step in range(12):
        trainer = SimpleNamespace(
            global_step=step, log_every_n_steps=5, should_stop=False, optimizers=[opt]
        )
        task._trainer = trainer
        task.log_train_loss(torch.tensor(1.0), 4)
    # Lightning hands on-step values to loggers when (step + 1) % 5 == 0: steps 4 and 9.
    assert calls == [(4, "train_loss"), (4, "lr"), (9, "train_loss"), (9, "lr")]


def test_the_progress_bar_redraws_every_few_steps(tmp_path: Path) -> None:
    trainer = build_trainer(tiny_config(), tmp_path, [], progress_bar=True)
    bars = [c for c in trainer.callbacks if isinstance(c, TQDMProgressBar)]
    assert [b.refresh_rate for b in bars] == [PROGRESS_REFRESH_STEPS] and PROGRESS_REFRESH_STEPS > 1
    quiet = build_trainer(tiny_config(), tmp_path, [], progress_bar=False)
    assert not any(isinstance(c, TQDMProgressBar) for c in quiet.callbacks)


def test_the_training_bar_redraws_at_most_twice_a_second_and_at_the_end(monkeypatch) -> None:
    now = [100.0]
    monkeypatch.setattr(progress_bar.time, "monotonic", lambda: now[0])
    redraws: list[int] = []
    tqdm = SimpleNamespace(total=100, n=0, disable=False)
    tqdm.set_postfix = lambda metrics: redraws.append(tqdm.n)
    bar = StoreProgressBar()
    bar.train_progress_bar = tqdm
    bar.get_metrics = lambda trainer, module: {}
    for batch_idx in range(100):
        now[0] += 0.03  # 30 ms steps: every 10 steps is 0.3 s
        bar.on_train_batch_end(None, None, None, None, batch_idx)
    # Steps 10, 20, …: the first redraw, then one every 0.5 s (20 steps), and the last step.
    assert redraws == [10, 30, 50, 70, 90, 100]


class CountsBatchEnds(pl.Callback):
    def __init__(self) -> None:
        self.batch_ends = 0

    def on_train_batch_end(self, *args: object) -> None:
        self.batch_ends += 1


def test_lightning_skips_the_step_hooks_a_callback_leaves_as_no_ops(tmp_path: Path) -> None:
    counting = CountsBatchEnds()
    cfg = tiny_config("trainer.max_steps=3", "trainer.monitor=val_loss", "trainer.monitor_mode=min")
    trainer = build_trainer(cfg, tmp_path, [], [counting], progress_bar=False)
    assert isinstance(trainer.profiler, NoProfiler)
    # Its own hook stays; the per-batch hooks it does not override are gone from the instance.
    assert callable(counting.on_train_batch_end)
    assert counting.on_train_batch_start is None and counting.on_before_backward is None
    # The class is untouched, and hooks Lightning calls directly are kept.
    assert callable(CountsBatchEnds.on_train_batch_start) and callable(counting.on_save_checkpoint)
    for callback in trainer.callbacks:
        for hook in STEP_HOOKS:
            implemented = getattr(type(callback), hook) is not getattr(pl.Callback, hook)
            if isinstance(callback, ModelCheckpoint) and hook == "on_train_batch_end":
                implemented = False  # idle: see the test below
            assert callable(getattr(callback, hook)) == implemented, (callback, hook)

    entered: list[str] = []
    trainer.profiler.profile = lambda name: entered.append(name) or nullcontext()
    task = LanguageModelTask(cfg.model_dump(mode="json"), vocab_size=11)
    tokens = torch.randint(0, 11, (6, 9))
    rows = [{"input_ids": t[:-1], "labels": t[1:]} for t in tokens]
    loader = DataLoader(rows, batch_size=2)
    # With validation and a test: their loops read the module's batch hooks' signatures.
    trainer.fit(task, train_dataloaders=loader, val_dataloaders=loader)
    trainer.test(task, dataloaders=loader, verbose=False)
    assert counting.batch_ends == 3
    # Lightning entered no callback's skipped hook: no "[Callback]CountsBatchEnds.on_before_backward".
    hooks = {n for n in entered if n.startswith("[Callback]CountsBatchEnds.")}
    assert "[Callback]CountsBatchEnds.on_train_batch_end" in hooks
    assert not hooks & {f"[Callback]CountsBatchEnds.{h}" for h in STEP_HOOKS[2:6]}
    # The same for the module's own no-op hooks; the class keeps them.
    assert task.on_before_backward is None and callable(LanguageModelTask.on_before_backward)
    module_hooks = {n.removeprefix("[LightningModule]LanguageModelTask.") for n in entered}
    assert not module_hooks & set(TRAIN_STEP_HOOKS)
    assert callable(task.on_validation_batch_end)  # kept: Lightning inspects it
    assert "on_before_batch_transfer" in module_hooks  # not a no-op: it is left alone
    # The optimiser step's hooks are the lean step's to call (test_lean_step.py).


def test_a_checkpoint_callback_skips_its_batch_check_only_when_it_saves_on_no_step_count(
    tmp_path: Path,
) -> None:
    idle = ModelCheckpoint(dirpath=tmp_path)  # saves after validation and at the end
    every_two = ModelCheckpoint(dirpath=tmp_path, every_n_train_steps=2)
    hourly = ModelCheckpoint(dirpath=tmp_path, train_time_interval=timedelta(hours=1))
    for checkpoint in (idle, every_two, hourly):
        skip_idle_checkpoint_check(checkpoint)
    assert idle.on_train_batch_end is None
    assert callable(every_two.on_train_batch_end) and callable(hourly.on_train_batch_end)
    # The run's own still saves its best and last checkpoints (validation at every epoch).
    cfg = tiny_config(
        "trainer.max_epochs=1", "trainer.monitor=val_loss", "trainer.monitor_mode=min"
    )
    trainer = build_trainer(cfg, tmp_path / "run", [], progress_bar=False)
    task = LanguageModelTask(cfg.model_dump(mode="json"), vocab_size=11)
    tokens = torch.randint(0, 11, (6, 9))
    loader = DataLoader([{"input_ids": t[:-1], "labels": t[1:]} for t in tokens], batch_size=2)
    trainer.fit(task, train_dataloaders=loader, val_dataloaders=loader)
    saved = sorted(p.name for p in (tmp_path / "run" / "checkpoints").iterdir())
    assert saved == ["best.ckpt", "last.ckpt"]
