"""Optimisers and learning-rate schedules from the config's ``optim`` section."""

from __future__ import annotations

import math
import time

import torch
from torch import nn

from paretolab.config import OptimConfig


def build_optimizer(model: nn.Module, cfg: OptimConfig) -> torch.optim.Optimizer:
    """The configured optimiser; weight decay only on matrices (not biases, norms)."""
    decay = [p for p in model.parameters() if p.requires_grad and p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.requires_grad and p.dim() < 2]
    groups = [
        {"params": decay, "weight_decay": cfg.weight_decay},
        {"params": no_decay, "weight_decay": 0.0},
    ]
    if cfg.optimizer == "adamw":
        return torch.optim.AdamW(groups, lr=cfg.lr, betas=cfg.betas, eps=cfg.eps, foreach=True)
    if cfg.optimizer == "adam":
        return torch.optim.Adam(groups, lr=cfg.lr, betas=cfg.betas, eps=cfg.eps, foreach=True)
    if cfg.optimizer == "rmsprop":
        return torch.optim.RMSprop(
            groups, lr=cfg.lr, momentum=cfg.momentum, eps=cfg.eps, foreach=True
        )
    if cfg.optimizer == "sgd":
        return torch.optim.SGD(groups, lr=cfg.lr, momentum=cfg.momentum, foreach=True)
    raise ValueError(f"unknown optimizer {cfg.optimizer!r}")


def lr_multiplier(
    step: int, total_steps: int, cfg: OptimConfig, time_progress: float = 0.0
) -> float:
    """The factor on ``cfg.lr`` at optimiser step ``step`` of ``total_steps``.

    ``time_progress`` (share of a time budget used) moves the decay on when time runs out
    before the steps do.
    """
    if step < cfg.warmup_steps:
        return (step + 1) / cfg.warmup_steps
    if cfg.scheduler == "constant":
        return 1.0
    if cfg.scheduler == "step":
        return cfg.step_gamma ** ((step - cfg.warmup_steps) // cfg.step_size)
    decay_steps = max(1, total_steps - cfg.warmup_steps)
    progress = min(1.0, max((step - cfg.warmup_steps) / decay_steps, time_progress))
    if cfg.scheduler == "cosine":
        shape = 0.5 * (1.0 + math.cos(math.pi * progress))
    elif cfg.scheduler == "linear":
        shape = 1.0 - progress
    else:
        raise ValueError(f"unknown scheduler {cfg.scheduler!r}")
    return cfg.min_lr_ratio + (1.0 - cfg.min_lr_ratio) * shape


def build_scheduler(
    optimizer: torch.optim.Optimizer,
    total_steps: int,
    cfg: OptimConfig,
    time_budget_s: float | None = None,
) -> torch.optim.lr_scheduler.LambdaLR:
    """A per-step schedule: linear warm-up, then the configured decay.

    With ``time_budget_s`` the decay follows whichever budget is used up faster, steps or
    wall-clock time (counted from now), so a time-limited run still anneals to its end.
    """
    start = time.monotonic()

    def time_progress() -> float:
        return (time.monotonic() - start) / time_budget_s if time_budget_s else 0.0

    return torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: lr_multiplier(step, total_steps, cfg, time_progress())
    )
