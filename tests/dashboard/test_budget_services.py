"""Budgets in the dashboard's services: everyone reads them, only an admin changes them."""

from __future__ import annotations

import pytest

from dashboard.services import budgets as budget_services
from paretolab.auth import AccessDenied
from paretolab.store import Budget, RunStore
from tests.dashboard.test_access import as_user, users_file  # noqa: F401 - the fixture

TEAM = Budget(name="team", amount=5000, unit="usd", period="month")


@pytest.mark.parametrize("name", ["vic", "mia"])  # a viewer, a member
def test_only_an_admin_changes_a_budget(users_file, store: RunStore, name: str) -> None:  # noqa: F811
    as_user("ada")
    budget_services.add_budget(TEAM)
    as_user(name)
    role = {"vic": "viewer", "mia": "member"}[name]
    for action in (
        lambda: budget_services.add_budget(Budget(name="b", amount=1, unit="usd", period="month")),
        lambda: budget_services.change_budget("team", amount=1.0),
        lambda: budget_services.remove_budget("team"),
    ):
        with pytest.raises(AccessDenied, match=f"{name} is a {role} and cannot"):
            action()
    (status,) = budget_services.budget_statuses()  # but they see it, unchanged
    assert (status.budget.name, status.budget.amount, status.budget.created_by) == (
        "team",
        5000,
        "ada",
    )


def test_an_admin_changes_and_removes_a_budget(users_file, store: RunStore) -> None:  # noqa: F811
    as_user("ada")
    budget_services.add_budget(TEAM)
    assert budget_services.change_budget("team", hard=True).hard
    budget_services.remove_budget("team")
    assert store.list_budgets() == []
