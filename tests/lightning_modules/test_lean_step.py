"""The lean training step (lightning_modules/run/lean_step.py, issue 26): the same weights, the
same hooks in the same order and the same step counts as Lightning's closure-driven step,
with Lightning's own step kept where the lean one does not apply."""

from __future__ import annotations

from pathlib import Path

import lightning.pytorch as pl
import pytest
import torch
from lightning.pytorch.loops.optimization.automatic import _AutomaticOptimization
from torch.utils.data import DataLoader

from lightning_modules.run import lean_step
from lightning_modules.run.lean_step import LeanOptimization
from lightning_modules.run.trainers import build_trainer
from lightning_modules.tasks import LanguageModelTask
from tests.conftest import tiny_config

HOOKS = ("on_before_zero_grad", "on_before_backward", "on_after_backward")
HOOKS += ("on_before_optimizer_step", "on_train_batch_end")


class RecordsHooks(pl.Callback):
    """Notes each per-step hook, with the global step and the loss where one is given."""

    def __init__(self) -> None:
        self.calls: list[tuple] = []

    def on_before_zero_grad(self, trainer, module, optimizer) -> None:
        self.calls.append(("on_before_zero_grad", trainer.global_step))

    def on_before_backward(self, trainer, module, loss) -> None:
        self.calls.append(("on_before_backward", trainer.global_step, round(loss.item(), 5)))

    def on_after_backward(self, trainer, module) -> None:
        grads = [p.grad for p in module.parameters() if p.grad is not None]
        self.calls.append(("on_after_backward", trainer.global_step, len(grads)))

    def on_before_optimizer_step(self, trainer, module, optimizer) -> None:
        self.calls.append(("on_before_optimizer_step", trainer.global_step))

    def on_train_batch_end(self, trainer, module, outputs, batch, batch_idx) -> None:
        loss = round(outputs["loss"].item(), 5)
        self.calls.append(("on_train_batch_end", trainer.global_step, batch_idx, loss))


def loader() -> DataLoader:
    tokens = torch.randint(0, 11, (16, 9), generator=torch.Generator().manual_seed(1))
    return DataLoader([{"input_ids": t[:-1], "labels": t[1:]} for t in tokens], batch_size=2)


def train(tmp_path: Path, lean: bool, *overrides: str, task_class=LanguageModelTask):
    """Fit the tiny LM for 8 steps, with the lean step or Lightning's own."""
    cfg = tiny_config("trainer.max_steps=8", "trainer.gradient_clip_val=0.05", *overrides)
    recorder = RecordsHooks()
    trainer = build_trainer(cfg, tmp_path / str(lean), [], [recorder], progress_bar=False)
    if not lean:
        trainer.fit_loop.epoch_loop.automatic_optimization = _AutomaticOptimization(trainer)
    torch.manual_seed(0)
    task = task_class(cfg.model_dump(mode="json"), vocab_size=11)
    trainer.fit(task, train_dataloaders=loader())
    return trainer, task, recorder


def same_weights(a: torch.nn.Module, b: torch.nn.Module) -> bool:
    return all(
        torch.equal(x, y)
        for x, y in zip(a.state_dict().values(), b.state_dict().values(), strict=True)
    )


@pytest.mark.parametrize("precision", ["32", "bf16-mixed"])
def test_the_lean_step_trains_exactly_as_lightnings_own(
    tmp_path: Path, precision: str, monkeypatch
) -> None:
    through_the_hook: list[bool] = []
    lightnings = pl.LightningModule.optimizer_step

    def counted(self, *args, **kwargs) -> None:
        through_the_hook.append(True)
        lightnings(self, *args, **kwargs)

    monkeypatch.setattr(pl.LightningModule, "optimizer_step", counted)
    stock, stock_task, stock_hooks = train(tmp_path, False, f"trainer.precision={precision}")
    assert len(through_the_hook) == 8
    lean, lean_task, lean_hooks = train(tmp_path, True, f"trainer.precision={precision}")
    assert len(through_the_hook) == 8  # the lean step took none of its 8 steps through it
    assert isinstance(lean.fit_loop.epoch_loop.automatic_optimization, LeanOptimization)
    assert same_weights(stock_task, lean_task)  # clipped (clip 0.05) and scheduled alike
    assert lean_hooks.calls == stock_hooks.calls  # hooks, order, steps, losses, outputs
    assert [c[0] for c in lean_hooks.calls[:5]] == list(HOOKS)
    assert lean.global_step == stock.global_step == 8
    progress = lean.fit_loop.epoch_loop.automatic_optimization.optim_progress
    assert (
        progress.state_dict()
        == stock.fit_loop.epoch_loop.automatic_optimization.optim_progress.state_dict()
    )


def test_a_run_resumed_from_a_lean_checkpoint_goes_on_from_its_step(tmp_path: Path) -> None:
    trainer, task, _ = train(tmp_path, True)
    checkpoint = tmp_path / "eight.ckpt"
    trainer.save_checkpoint(checkpoint)
    cfg = tiny_config("trainer.max_steps=12", "trainer.gradient_clip_val=0.05")
    resumed = build_trainer(cfg, tmp_path / "resumed", [], progress_bar=False)
    again = LanguageModelTask(cfg.model_dump(mode="json"), vocab_size=11)
    resumed.fit(again, train_dataloaders=loader(), ckpt_path=checkpoint)
    assert resumed.global_step == 12


class StepsItsOwnWay(LanguageModelTask):
    """A module with its own optimizer_step: the lean step must leave it to Lightning."""

    stepped = 0

    def optimizer_step(self, *args, **kwargs) -> None:
        type(self).stepped += 1
        super().optimizer_step(*args, **kwargs)


@pytest.mark.parametrize(
    ("overrides", "task_class", "module_steps"),
    [
        (("trainer.accumulate_grad_batches=2",), LanguageModelTask, 0),
        ((), StepsItsOwnWay, 8),
    ],
    ids=["gradient-accumulation", "own-optimizer-step"],
)
def test_where_the_lean_step_does_not_apply_lightning_steps(
    tmp_path: Path, overrides, task_class, module_steps: int
) -> None:
    stock, stock_task, stock_hooks = train(tmp_path, False, *overrides, task_class=task_class)
    StepsItsOwnWay.stepped = 0
    lean, lean_task, lean_hooks = train(tmp_path, True, *overrides, task_class=task_class)
    assert StepsItsOwnWay.stepped == module_steps  # its hook ran, through Lightning's step
    assert same_weights(stock_task, lean_task) and lean_hooks.calls == stock_hooks.calls
    assert lean.global_step == stock.global_step


class HooksOfItsOwn(LanguageModelTask):
    """A module with its own step hooks, one of which logs: the lean step must call each, in
    Lightning's order, and keep what it logs."""

    seen: list[tuple] = []

    def on_before_zero_grad(self, optimizer) -> None:
        self.seen.append(("zero_grad", self.trainer.global_step))

    def on_before_backward(self, loss) -> None:
        self.seen.append(("before_backward", self.trainer.global_step, round(loss.item(), 5)))

    def on_after_backward(self) -> None:
        squares = sum(p.grad.pow(2).sum() for p in self.parameters() if p.grad is not None)
        self.log("grad_sq", squares, on_step=True, on_epoch=False)
        self.seen.append(("after_backward", self.trainer.global_step, round(squares.item(), 5)))

    def on_before_optimizer_step(self, optimizer) -> None:
        self.seen.append(("before_optimizer_step", self.trainer.global_step))


def test_a_modules_own_step_hooks_run_in_order_and_what_they_log_is_kept(
    tmp_path: Path,
) -> None:
    HooksOfItsOwn.seen = []
    stock, stock_task, _ = train(tmp_path, False, task_class=HooksOfItsOwn)
    stock_seen, HooksOfItsOwn.seen = HooksOfItsOwn.seen, []
    lean, lean_task, _ = train(tmp_path, True, task_class=HooksOfItsOwn)
    assert isinstance(lean.fit_loop.epoch_loop.automatic_optimization, LeanOptimization)
    assert len(stock_seen) == 8 * 4 and HooksOfItsOwn.seen == stock_seen
    assert [c[0] for c in stock_seen[:4]] == [
        "zero_grad",
        "before_backward",
        "after_backward",
        "before_optimizer_step",
    ]
    assert same_weights(stock_task, lean_task)
    assert float(lean.logged_metrics["grad_sq"]) == float(stock.logged_metrics["grad_sq"]) > 0


def test_an_unknown_lightning_loop_is_left_as_it_is(tmp_path: Path, caplog) -> None:
    trainer = build_trainer(tiny_config(), tmp_path, [], progress_bar=False)
    assert isinstance(trainer.fit_loop.epoch_loop.automatic_optimization, LeanOptimization)
    other = build_trainer(tiny_config(), tmp_path, [], progress_bar=False)
    other.fit_loop.epoch_loop.automatic_optimization = object()
    assert lean_step.install(other) is False
    assert "left as is" in caplog.text


class GradNorms(pl.Callback):
    """The gradients' total norm after each step (zero_grad comes before the next backward)."""

    def __init__(self) -> None:
        self.norms: list[float] = []

    def on_train_batch_end(self, trainer, module, outputs, batch, batch_idx) -> None:
        grads = [p.grad for p in module.parameters() if p.grad is not None]
        self.norms.append(float(torch.linalg.vector_norm(torch.stack([g.norm() for g in grads]))))


def test_a_fused_optimizer_under_bf16_mixed_is_clipped_not_refused(
    tmp_path: Path, monkeypatch
) -> None:
    """On a GPU the task builds a fused AdamW; Lightning's mixed-precision plugin refuses to
    clip for one (RuntimeError at the first step), though bf16 has no gradient scaler."""
    from lightning_modules.tasks import base

    built = base.build_optimizer

    def always_fused(model, optim, fused=False, *rest):
        return built(model, optim, True, *rest)

    monkeypatch.setattr(base, "build_optimizer", always_fused)
    cfg = tiny_config(
        "trainer.max_steps=4", "trainer.gradient_clip_val=0.05", "trainer.precision=bf16-mixed"
    )
    norms = GradNorms()
    trainer = build_trainer(cfg, tmp_path, [], [norms], progress_bar=False)
    task = LanguageModelTask(cfg.model_dump(mode="json"), vocab_size=11)
    trainer.fit(task, train_dataloaders=loader())
    assert trainer.optimizers[0].defaults["fused"] and trainer.global_step == 4
    assert len(norms.norms) == 4 and max(norms.norms) <= 0.05 + 1e-4  # clipped at 0.05
