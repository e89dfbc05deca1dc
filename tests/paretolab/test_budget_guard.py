"""Guardrails at launch (paretolab.budget_guard): past a soft budget a launch needs
confirmation, recorded with the run; past a hard one it is refused. From the CLI too."""

from __future__ import annotations

import time

import pytest

from paretolab.budget_guard import OverBudget, Projected, budget_uses, check_launch
from paretolab.cli import main
from paretolab.store import Budget, RunStore
from tests.conftest import TINY


def _spent(store: RunStore, usd: float, tags=(), owner=None) -> None:
    run = store.create_run({"hardware": {"profile": "cpu"}}, "r", "lm", tags, owner=owner)
    store.log_metrics(run.id, [("cost/usd", 1, usd, 0.0), ("cost/device_hours", 1, 1.0, 0.0)])
    store.claim(run.id)  # started now: in this month's window
    store.mark_finished(run.id)


def _budget(store: RunStore, amount: float, hard: bool, **scope) -> None:
    store.add_budget(
        Budget(name="b", amount=amount, unit="usd", period="month", hard=hard, **scope)
    )


def test_the_budgets_a_launch_would_use(store: RunStore) -> None:
    _spent(store, 90.0, tags=["nlp"], owner="ana")
    _budget(store, 100.0, hard=False, scope="tag", scope_value="nlp")
    store.add_budget(
        Budget(name="bo", amount=5, unit="usd", period="month", scope="owner", scope_value="bo")
    )
    (use,) = budget_uses(store, "ana", ["nlp"], Projected(20.0, 1.0), time.time())
    assert (use.status.budget.name, use.status.spent, use.adds) == ("b", 90.0, 20.0)
    assert use.over and use.share_after == pytest.approx(1.1)
    assert "90% spent + 20% → 110%" in use.describe()
    assert budget_uses(store, "ana", ["vision"], Projected(20.0, 1.0)) == []  # not covered
    with pytest.raises(OverBudget, match="confirm with --confirm-over-budget"):
        check_launch([use], confirmed=False, flag="--confirm-over-budget")
    assert "110%" in check_launch([use], confirmed=True, flag="--confirm-over-budget")
    within = budget_uses(store, "ana", ["nlp"], Projected(5.0, 1.0))
    assert check_launch(within, confirmed=False, flag="x") is None


def test_train_over_a_soft_budget_needs_confirmation(home, monkeypatch, capsys) -> None:
    from paretolab.executors import local

    monkeypatch.setattr(local, "ensure_executor", lambda store: None)  # queue, train nothing
    store = RunStore()
    _spent(store, 10.0)
    _budget(store, 10.0, hard=False)  # used up: any launch goes past it
    argv = ["train", str(TINY), "--detach", "--owner", "alice"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "over budget: budget b ($10 month, soft): 100% spent" in err and err.count("\n") == 1
    assert len(store.list_runs()) == 1  # nothing stored
    assert main([*argv, "--confirm-over-budget"]) == 0
    run = store.list_runs()[0]
    note = store.over_budget_note(run.id)
    assert note.startswith("confirmed by alice: budget b ($10 month, soft): 100% spent + ")


def test_train_over_a_hard_budget_is_refused_even_confirmed(home, monkeypatch, capsys) -> None:
    from paretolab.executors import local

    monkeypatch.setattr(local, "ensure_executor", lambda store: None)
    store = RunStore()
    _spent(store, 10.0)
    _budget(store, 10.0, hard=True)
    assert main(["train", str(TINY), "--detach", "--confirm-over-budget"]) == 2
    assert "refused: budget b ($10 month, hard)" in capsys.readouterr().err
    assert len(store.list_runs()) == 1
