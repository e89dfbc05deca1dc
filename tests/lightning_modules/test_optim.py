import pytest
import torch

from lightning_modules.optim import build_optimizer, build_scheduler, lr_multiplier
from paretolab.config import OptimConfig


def test_warmup_then_cosine_reaches_the_floor() -> None:
    cfg = OptimConfig(warmup_steps=10, scheduler="cosine", min_lr_ratio=0.1)
    assert lr_multiplier(0, 100, cfg) == pytest.approx(0.1)
    assert lr_multiplier(9, 100, cfg) == pytest.approx(1.0)
    assert lr_multiplier(10, 100, cfg) == pytest.approx(1.0)
    assert lr_multiplier(55, 100, cfg) == pytest.approx(0.55)
    assert lr_multiplier(100, 100, cfg) == pytest.approx(0.1)


def test_linear_step_and_constant_schedules() -> None:
    assert lr_multiplier(50, 100, OptimConfig(scheduler="linear")) == pytest.approx(0.5)
    step = OptimConfig(scheduler="step", step_size=10, step_gamma=0.5)
    assert [lr_multiplier(s, 100, step) for s in (0, 9, 10, 25)] == [1.0, 1.0, 0.5, 0.25]
    assert lr_multiplier(99, 100, OptimConfig(scheduler="constant")) == 1.0


def test_a_time_budget_used_faster_than_the_steps_moves_the_decay_on(monkeypatch) -> None:
    cfg = OptimConfig(warmup_steps=0, scheduler="linear", min_lr_ratio=0.0)
    assert lr_multiplier(10, 100, cfg, time_progress=0.5) == pytest.approx(0.5)
    assert lr_multiplier(80, 100, cfg, time_progress=0.5) == pytest.approx(0.2)
    now = [1000.0]
    monkeypatch.setattr("lightning_modules.optim.time.monotonic", lambda: now[0])
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    scheduler = build_scheduler(optimizer, 1000, cfg, time_budget_s=60.0)
    now[0] += 45.0  # three quarters of the time, one step of a thousand
    optimizer.step()
    scheduler.step()
    assert optimizer.param_groups[0]["lr"] == pytest.approx(0.25)


@pytest.mark.parametrize("name", ["adamw", "adam", "rmsprop", "sgd"])
def test_each_optimizer_steps_and_decays_only_matrices(name: str) -> None:
    model = torch.nn.Sequential(torch.nn.Linear(4, 4), torch.nn.LayerNorm(4))
    opt = build_optimizer(model, OptimConfig(optimizer=name, lr=0.1, weight_decay=0.5))
    decayed = [p for g in opt.param_groups if g["weight_decay"] > 0 for p in g["params"]]
    assert decayed == [model[0].weight]
    sched = build_scheduler(opt, 10, OptimConfig(optimizer=name, lr=0.1, warmup_steps=2))
    before = model[0].weight.detach().clone()
    model(torch.randn(8, 4)).pow(2).sum().backward()
    opt.step()
    sched.step()
    assert not torch.equal(before, model[0].weight)
    assert opt.param_groups[0]["lr"] == pytest.approx(0.1)


def test_validation_every_n_steps_reaches_the_trainer(tmp_path) -> None:
    from lightning_modules.train import build_trainer
    from tests.conftest import tiny_config

    trainer = build_trainer(tiny_config("trainer.val_every_n_steps=7"), tmp_path, [])
    assert trainer.val_check_interval == 7
    assert build_trainer(tiny_config(), tmp_path, []).val_check_interval == 1.0
