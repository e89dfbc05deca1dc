"""Optimisers and learning-rate schedules from the config's ``optim`` section."""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import torch
from torch import nn

from paretolab.config import OptimConfig


def build_optimizer(
    model: nn.Module,
    cfg: OptimConfig,
    fused: bool = False,
    matrices: set[str] | None = None,
    is_head: Callable[[str], bool] | None = None,
) -> torch.optim.Optimizer:
    """The configured optimiser; weight decay only on matrices (not biases, norms).

    Args:
        fused: (CUDA parameters only) Adam/AdamW update every parameter in one fused
            kernel per step instead of several ``foreach`` kernels over all of them.
        matrices: the names of the weights that are matrices, when the parameters' shapes
            no longer tell (FSDP turns them into 1-D shards); names are compared without
            FSDP's wrapper prefixes. None: by each parameter's own shape.
        is_head: tells a freshly initialised head's parameters by name; with
            ``cfg.head_lr`` set they learn at that rate (in their own decay and no-decay
            groups), the rest at ``cfg.lr``.
    """
    if cfg.optimizer == "muon":
        return MuonWithAdamW(model, cfg)
    trained = [(name, p) for name, p in model.named_parameters() if p.requires_grad]
    if matrices is None:
        is_matrix = [p.dim() >= 2 for _, p in trained]
    else:
        is_matrix = [unwrapped_name(name) in matrices for name, _ in trained]
    in_head = [False] * len(trained)
    if cfg.head_lr is not None and is_head is not None:
        in_head = [is_head(unwrapped_name(name)) for name, _ in trained]
    groups = []
    for head, lr in ((False, cfg.lr), (True, cfg.head_lr)):
        if head and not any(in_head):
            continue  # no head group: the groups (and resumable states) are as they were
        chosen = [
            (p, m) for (_, p), m, h in zip(trained, is_matrix, in_head, strict=True) if h == head
        ]
        groups += [
            {"params": [p for p, m in chosen if m], "weight_decay": cfg.weight_decay, "lr": lr},
            {"params": [p for p, m in chosen if not m], "weight_decay": 0.0, "lr": lr},
        ]
    # torch takes one of the two: fused=True with foreach=True is an error.
    kernels = {"fused": True} if fused else {"foreach": True}
    if cfg.optimizer == "adamw":
        return torch.optim.AdamW(groups, lr=cfg.lr, betas=cfg.betas, eps=cfg.eps, **kernels)
    if cfg.optimizer == "adam":
        return torch.optim.Adam(groups, lr=cfg.lr, betas=cfg.betas, eps=cfg.eps, **kernels)
    if cfg.optimizer == "rmsprop":
        return torch.optim.RMSprop(
            groups, lr=cfg.lr, momentum=cfg.momentum, eps=cfg.eps, foreach=True
        )
    if cfg.optimizer == "sgd":
        return torch.optim.SGD(groups, lr=cfg.lr, momentum=cfg.momentum, foreach=True)
    raise ValueError(f"unknown optimizer {cfg.optimizer!r}")


def unwrapped_name(name: str) -> str:
    """A parameter's name without the module names FSDP and activation checkpointing
    insert (what torch's own ``clean_tensor_name`` strips)."""
    return name.replace("_fsdp_wrapped_module.", "").replace("_checkpoint_wrapped_module.", "")


def is_hidden_matrix(name: str, param: torch.Tensor) -> bool:
    """A 2-D weight inside a Transformer block (attention and feed-forward projections):
    what Muon orthogonalises. Embeddings, heads and input projections stay with AdamW, as in
    Jordan et al.'s Muon and Moonshot's."""
    return param.dim() == 2 and "blocks." in name


# Quintic Newton–Schulz coefficients of Jordan et al.'s Muon (also torch.optim.Muon's).
NS_COEFFICIENTS = (3.4445, -4.7750, 2.0315)


def orthogonalize(matrix: torch.Tensor, steps: int = 5, eps: float = 1e-7) -> torch.Tensor:
    """The nearest semi-orthogonal matrix ``U Vᵀ`` of ``matrix = U S Vᵀ``, approximately, by
    ``steps`` quintic Newton–Schulz iterations — in float32: torch.optim.Muon iterates in
    bfloat16, which CPUs without bf16 units run ~100× slower."""
    a, b, c = NS_COEFFICIENTS
    x = matrix / (matrix.norm() + eps)
    wide = x.shape[0] > x.shape[1]
    if wide:
        x = x.T
    for _ in range(steps):
        gram = x @ x.T
        x = a * x + (b * gram + c * gram @ gram) @ x
    return x.T if wide else x


class MuonWithAdamW(torch.optim.Optimizer):
    """Muon on the blocks' hidden matrices, AdamW on everything else, as one optimiser, so
    Lightning, LR schedules and checkpoints see a single object.

    Muon (Jordan et al. 2024): Nesterov momentum 0.95, orthogonalised by Newton–Schulz, with
    Moonshot's scale ``0.2·√max(rows, cols)`` (Liu et al. 2025) so its updates have AdamW's
    RMS and ``optim.lr`` / ``optim.weight_decay`` mean the same for both halves.
    """

    momentum = 0.95

    def __init__(self, model: nn.Module, cfg: OptimConfig):
        seen: set[int] = set()  # tied weights (head = embedding) appear once
        muon, decay, no_decay = [], [], []
        for name, p in model.named_parameters():
            if not p.requires_grad or id(p) in seen:
                continue
            seen.add(id(p))
            if is_hidden_matrix(name, p):
                muon.append(p)
            else:
                (decay if p.dim() >= 2 else no_decay).append(p)
        if not muon:
            raise ValueError("optim.optimizer=muon needs Transformer blocks (model.n_layers ≥ 1)")
        groups = [
            {"params": muon, "weight_decay": cfg.weight_decay, "muon": True},
            {"params": decay, "weight_decay": cfg.weight_decay, "muon": False},
            {"params": no_decay, "weight_decay": 0.0, "muon": False},
        ]
        super().__init__([g for g in groups if g["params"]], {"lr": cfg.lr})
        self._adamw = torch.optim.AdamW(
            self.param_groups[1:], lr=cfg.lr, betas=cfg.betas, eps=cfg.eps, foreach=True
        )
        self._link()

    def _link(self) -> None:
        """Bind the inner AdamW to this object's non-Muon groups and state (again after
        ``load_state_dict``, which replaces both)."""
        self._adamw.param_groups = [g for g in self.param_groups if not g["muon"]]
        self._adamw.state = self.state

    def load_state_dict(self, state_dict: dict) -> None:
        super().load_state_dict(state_dict)
        self._link()

    @torch.no_grad()
    def step(self, closure=None):  # noqa: ANN001 - torch's signature
        """One step of both halves (the closure, if any, runs once)."""
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            if group["muon"]:
                self._muon_step(group)
        self._adamw.step()
        return loss

    def _muon_step(self, group: dict) -> None:
        lr, decay = group["lr"], group["weight_decay"]
        for p in group["params"]:
            if p.grad is None:
                continue
            buf = self.state[p].setdefault("momentum_buffer", torch.zeros_like(p))
            buf.mul_(self.momentum).add_(p.grad)
            update = orthogonalize(p.grad.add(buf, alpha=self.momentum))  # Nesterov
            p.mul_(1.0 - lr * decay)
            p.add_(update, alpha=-lr * 0.2 * max(p.shape) ** 0.5)


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
