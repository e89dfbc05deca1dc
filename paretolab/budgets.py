"""Budgets: checking one, how much of it is spent, and where the period will end.

Spend against a budget is ``RunStore.spend`` over the budget's window (the calendar month
or quarter holding now, or its custom dates) and scope, so it counts what ``paretolab
spend`` counts: bills, the burn so far of running runs, waste. The forecast runs the recent
daily burn (the last ``RECENT_DAYS`` whole days of the window) on to the end of the period; its
uncertainty treats each coming day as a draw from those days (90% interval: ±1.645 σ √days).
"""

from __future__ import annotations

import math
import statistics
import time
from dataclasses import dataclass

from paretolab.errors import UserError
from paretolab.periods import day_label, period_bounds
from paretolab.store import Budget, RunStore

UNITS = ("usd", "device_hours")  # each is also the spend figure it counts
PERIODS = ("month", "quarter", "custom")
SCOPES = ("everyone", "owner", "tag")
RECENT_DAYS = 14
DAY = 86400.0
Z90 = 1.645  # two-sided 90% normal interval


def check_budget(budget: Budget, store: RunStore) -> Budget:
    """``budget`` if it makes sense, else one line on what is wrong and how to fix it.

    Raises:
        UserError: a non-positive amount, an unknown unit/period/scope, custom dates missing
            or ending before they start, a scope without its owner or tag, or a tag no run has.
    """
    if not (math.isfinite(budget.amount) and budget.amount > 0):
        raise UserError(f"a budget's amount must be positive, got {budget.amount:g} (e.g. 5000)")
    for value, allowed, what in (
        (budget.unit, UNITS, "unit"),
        (budget.period, PERIODS, "period"),
        (budget.scope, SCOPES, "scope"),
    ):
        if value not in allowed:
            raise UserError(f"a budget's {what} is one of {', '.join(allowed)}, not {value!r}")
    if budget.period == "custom":
        if budget.starts_at is None or budget.ends_at is None:
            raise UserError("a custom period needs both --start and --end (YYYY-MM-DD)")
        if budget.ends_at <= budget.starts_at:
            raise UserError(
                f"the end ({day_label(budget.ends_at - DAY)}) is before the start "
                f"({day_label(budget.starts_at)}): swap them or fix the dates"
            )
    if budget.scope != "everyone" and not budget.scope_value:
        raise UserError(f"a budget for one {budget.scope} needs its name (--{budget.scope} NAME)")
    if budget.scope == "tag" and budget.scope_value not in store.all_tags():
        known = ", ".join(store.all_tags()[:10]) or "no run has tags yet"
        raise UserError(f"no run has the tag {budget.scope_value!r} (tags: {known})")
    return budget


def window(budget: Budget, at: float) -> tuple[float, float]:
    """[start, end) of the budget's period that holds ``at`` (its dates, for a custom one)."""
    if budget.period == "custom":
        return budget.starts_at, budget.ends_at
    return period_bounds(budget.period, at)


@dataclass(frozen=True)
class Forecast:
    """Spend at the end of the period if the recent daily burn goes on."""

    expected: float
    low: float
    high: float
    per_day: float


def forecast(spent: float, recent_daily: list[float], days_left: float) -> Forecast:
    """Run the recent daily burn on for ``days_left`` days (see the module docstring)."""
    if not recent_daily or days_left <= 0:
        return Forecast(spent, spent, spent, 0.0)
    per_day = statistics.fmean(recent_daily)
    spread = statistics.stdev(recent_daily) if len(recent_daily) > 1 else per_day
    margin = Z90 * spread * math.sqrt(days_left)
    expected = spent + per_day * days_left
    return Forecast(expected, max(spent, expected - margin), expected + margin, per_day)


@dataclass(frozen=True)
class BudgetStatus:
    """A budget against what its scope spent in its current window."""

    budget: Budget
    start: float
    end: float
    spent: float
    forecast: Forecast

    @property
    def share(self) -> float:
        """Spent ÷ amount."""
        return self.spent / self.budget.amount

    @property
    def left(self) -> float:
        """What is left of the amount (never below zero)."""
        return max(self.budget.amount - self.spent, 0.0)

    def as_dict(self) -> dict:
        """For JSON: the budget, its window as dates, spent, share and forecast."""
        b = self.budget
        return {
            "name": b.name,
            "amount": b.amount,
            "unit": b.unit,
            "period": b.period,
            "scope": b.scope if b.scope == "everyone" else f"{b.scope}:{b.scope_value}",
            "hard": b.hard,
            "from": day_label(self.start),
            "until": day_label(self.end - DAY),
            "spent": self.spent,
            "share": self.share,
            "forecast": self.forecast.expected,
            "forecast_low": self.forecast.low,
            "forecast_high": self.forecast.high,
        }


def budget_status(store: RunStore, budget: Budget, now: float | None = None) -> BudgetStatus:
    """How much of ``budget`` its scope has spent, and the forecast to its period's end."""
    now = time.time() if now is None else now
    start, end = window(budget, now)
    by = None if budget.scope == "everyone" else budget.scope
    rows = store.spend(by=by, period="day", since=start, until=min(end, now), now=now)
    figure = budget.unit
    daily: dict[str, float] = {}
    for r in rows:
        if by is None or r["group"] == budget.scope_value:
            daily[r["period"]] = daily.get(r["period"], 0.0) + r[figure]
    spent = sum(daily.values())
    # The rate comes from whole days only: today's spend so far is in ``spent``.
    full_days = max(math.floor((min(now, end) - start) / DAY), 0)
    recent = [
        daily.get(day_label(start + i * DAY), 0.0)
        for i in range(max(full_days - RECENT_DAYS, 0), full_days)
    ]
    days_left = max(end - max(now, start), 0.0) / DAY
    return BudgetStatus(budget, start, end, spent, forecast(spent, recent, days_left))
