"""Budgets for the Spend page: everyone sees them; only admins add, change or remove one
(checked here, on the server, whatever the page shows)."""

from __future__ import annotations

import dataclasses
from typing import Any

from dashboard.services import access
from dashboard.services.common import store
from paretolab.budgets import BudgetStatus, budget_status, check_budget
from paretolab.store import Budget


def budget_statuses() -> list[BudgetStatus]:
    """Every budget with its spend so far and its forecast (anyone may look)."""
    s = store()
    return [budget_status(s, b) for b in s.list_budgets()]


def add_budget(budget: Budget) -> Budget:
    """Store a new budget (admins only).

    Raises:
        AccessDenied: the user is not an admin. UserError: the budget makes no sense.
    """
    user = access.require_admin("add a budget")
    s = store()
    return s.add_budget(
        dataclasses.replace(check_budget(budget, s), created_by=access.owner_name(user))
    )


def change_budget(name: str, **changes: Any) -> Budget:
    """Change fields of the budget called ``name`` (admins only).

    Raises:
        AccessDenied: the user is not an admin. UserError: no such budget, or bad values.
    """
    access.require_admin("change a budget")
    s = store()
    budget = dataclasses.replace(s.get_budget(name), **changes)
    return s.replace_budget(check_budget(budget, s))


def remove_budget(name: str) -> None:
    """Delete the budget called ``name`` (admins only)."""
    access.require_admin("remove a budget")
    store().remove_budget(name)
