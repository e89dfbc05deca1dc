"""Per-step overhead of training (issue 9): no per-step log calls, a sparse progress bar."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import torch
from lightning.pytorch.callbacks import TQDMProgressBar

from lightning_modules.callbacks import progress_bar
from lightning_modules.callbacks.progress_bar import PROGRESS_REFRESH_STEPS, StoreProgressBar
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
