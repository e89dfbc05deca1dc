"""Guardrails at launch: what a run (or a sweep) about to start would take of each budget
that covers it, and whether it may start.

A budget covers a launch when its scope is everyone, the launch's owner, or one of its
tags, and its window holds now. A launch that would take a budget past its amount is
refused if the budget is hard; if soft, it needs the launcher's confirmation, which is
recorded with the run (``run_costs.over_budget``). The projected cost is the caller's (it
needs the model's shape, which the dashboard and sweeps know; ``None``: not known, so only
a budget already used up stops a launch).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from paretolab.budgets import BudgetStatus, budget_status
from paretolab.errors import UserError
from paretolab.store import RunStore


@dataclass(frozen=True)
class Projected:
    """What a launch is expected to cost: $ (None: no price) and device-hours."""

    usd: float | None
    device_hours: float
    basis: str = ""
    """How it was projected, in words (the estimate's steps, MFU, trials, pruning)."""

    def of(self, unit: str) -> float:
        """The figure a budget in ``unit`` counts (0 when unknown)."""
        value = self.usd if unit == "usd" else self.device_hours
        return value or 0.0


@dataclass(frozen=True)
class BudgetUse:
    """One covering budget: spent so far, what the launch adds, the share after it."""

    status: BudgetStatus
    adds: float

    @property
    def share_after(self) -> float:
        """(Spent + what the launch adds) ÷ amount."""
        return (self.status.spent + self.adds) / self.status.budget.amount

    @property
    def over(self) -> bool:
        """Whether the launch would take the budget past its amount."""
        return self.share_after > 1.0

    def describe(self) -> str:
        """One line: ``budget team ($5,000 month): 94% spent + 12% → 106%``."""
        b = self.status.budget
        unit = "$" if b.unit == "usd" else "device-hours "
        return (
            f"budget {b.name} ({unit}{b.amount:,.0f} {b.period}, {'hard' if b.hard else 'soft'}):"
            f" {self.status.share:.0%} spent + {self.adds / b.amount:.0%} → {self.share_after:.0%}"
        )


class OverBudget(UserError):
    """A launch past a budget: refused (hard), or waiting for confirmation (soft)."""


def covering_budgets(
    store: RunStore, owner: str | None, tags: Sequence[str], now: float | None = None
) -> list[BudgetStatus]:
    """The budgets whose scope takes in a run of ``owner`` with ``tags``, as of ``now``."""
    now = time.time() if now is None else now
    out = []
    for b in store.list_budgets():
        covers = (
            b.scope == "everyone"
            or (b.scope == "owner" and b.scope_value == owner)
            or (b.scope == "tag" and b.scope_value in tags)
        )
        status = budget_status(store, b, now) if covers else None
        if status is not None and status.start <= now < status.end:
            out.append(status)
    return out


def budget_uses(
    store: RunStore,
    owner: str | None,
    tags: Sequence[str],
    projected: Projected | None,
    now: float | None = None,
) -> list[BudgetUse]:
    """Each covering budget with what ``projected`` would add to it."""
    return [
        BudgetUse(s, projected.of(s.budget.unit) if projected else 0.0)
        for s in covering_budgets(store, owner, tags, now)
    ]


def check_launch(uses: Sequence[BudgetUse], confirmed: bool, flag: str) -> str | None:
    """Whether a launch may start; the note to record with it when it goes over a soft
    budget with confirmation (None: within every budget).

    Raises:
        OverBudget: a hard budget would be exceeded (or is used up), or a soft one would
            be and ``confirmed`` is False (the message names ``flag``, how to confirm).
    """
    over = [u for u in uses if u.over or u.status.share >= 1.0]
    hard = [u for u in over if u.status.budget.hard]
    if hard:
        raise OverBudget(f"refused: {hard[0].describe()}; a hard budget is not exceeded")
    if not over:
        return None
    if not confirmed:
        raise OverBudget(f"over budget: {over[0].describe()}; confirm with {flag}")
    return "; ".join(u.describe() for u in over)


def hard_budget_gone(store: RunStore, owner: str | None, tags: Sequence[str]) -> str | None:
    """Why no more may start under a hard budget that is used up (None: none is)."""
    for status in covering_budgets(store, owner, tags):
        if status.budget.hard and status.share >= 1.0:
            return f"{BudgetUse(status, 0.0).describe()}: the hard budget is used up"
    return None
