"""Budgets (paretolab.budgets): bad input in one line, spend against a budget, the forecast."""

from __future__ import annotations

import json
import random
import time
from datetime import UTC, datetime

import pytest

from paretolab.budgets import DAY, budget_status, check_budget, forecast
from paretolab.cli import main
from paretolab.errors import UserError
from paretolab.store import Budget, RunStore
from paretolab.store.schema import runs

START = datetime(2026, 11, 1, tzinfo=UTC).timestamp()


def _billed(store: RunStore, when: float, usd: float, tags=(), owner=None) -> None:
    run = store.create_run({"hardware": {"profile": "cpu"}}, "r", "lm", tags, owner=owner)
    store.log_metrics(run.id, [("cost/usd", 1, usd, 0.0), ("cost/device_hours", 1, usd / 4, 0.0)])
    with store.engine.begin() as conn:
        conn.execute(
            runs.update()
            .where(runs.c.id == run.id)
            .values(status="finished", started_at=when, ended_at=when + 60)
        )


def test_the_forecast_of_a_steady_burn_lands_within_five_percent(any_store: RunStore) -> None:
    store = any_store
    rng = random.Random(3)
    for day in range(20):  # about $100 a day, in three runs, for 20 days of November
        for share in (0.5, 0.3, 0.2):
            _billed(
                store, START + day * DAY + rng.uniform(0, DAY / 2), share * rng.uniform(80, 120)
            )
    budget = Budget(name="nov", amount=2500, unit="usd", period="month")
    status = budget_status(store, budget, now=START + 20 * DAY)
    month_at_100_a_day = 30 * 100.0
    assert status.forecast.expected == pytest.approx(month_at_100_a_day, rel=0.05)
    assert status.forecast.low < month_at_100_a_day < status.forecast.high
    assert status.share == pytest.approx(status.spent / 2500)
    assert status.as_dict()["from"] == "2026-11-01" and status.as_dict()["until"] == "2026-11-30"


def test_a_scoped_budget_counts_its_tag_or_owner_only(store: RunStore) -> None:
    _billed(store, START + DAY, 40.0, tags=["nlp"], owner="ana")
    _billed(store, START + DAY, 60.0, tags=["vision"], owner="bo")
    _billed(store, START - 40 * DAY, 500.0, tags=["nlp"], owner="ana")  # September: outside Q4
    now = START + 2 * DAY
    for scope, value, spent in (
        ("tag", "nlp", 40.0),
        ("owner", "bo", 60.0),
        ("everyone", None, 100.0),
    ):
        budget = Budget(
            name="b", amount=1, unit="usd", period="quarter", scope=scope, scope_value=value
        )
        assert budget_status(store, budget, now=now).spent == pytest.approx(spent)
    hours = Budget(name="h", amount=100, unit="device_hours", period="month")
    assert budget_status(store, hours, now=now).spent == pytest.approx(25.0)


def test_forecast_without_history_is_what_was_spent() -> None:
    assert forecast(12.0, [], 10).expected == 12.0
    steady = forecast(0.0, [5.0] * 7, 4)
    assert (steady.expected, steady.low, steady.high) == (20.0, 20.0, 20.0)


@pytest.mark.parametrize(
    ("budget", "message"),
    [
        (Budget(name="b", amount=-5, unit="usd", period="month"), "amount must be positive"),
        (
            Budget(
                name="b",
                amount=5,
                unit="usd",
                period="custom",
                starts_at=START,
                ends_at=START - DAY,
            ),
            "is before the start",
        ),
        (
            Budget(name="b", amount=5, unit="usd", period="month", scope="tag", scope_value="nope"),
            "no run has the tag 'nope'",
        ),
        (Budget(name="b", amount=5, unit="usd", period="custom"), "needs both --start and --end"),
        (Budget(name="b", amount=5, unit="usd", period="month", scope="owner"), "needs its name"),
    ],
)
def test_bad_budgets_are_refused_in_one_line(store: RunStore, budget: Budget, message: str) -> None:
    with pytest.raises(UserError, match=message) as caught:
        check_budget(budget, store)
    assert "\n" not in str(caught.value)


def test_budgets_cli_add_set_list_remove(store: RunStore, capsys: pytest.CaptureFixture) -> None:
    _billed(store, time.time() - 60, 40.0, tags=["nlp"])  # in the quarter that holds now
    assert (
        main(
            ["budgets", "add", "nlp-q4", "--amount", "1000", "--tag", "nlp", "--period", "quarter"]
        )
        == 0
    )
    assert main(["budgets", "set", "nlp-q4", "--amount", "2000", "--hard"]) == 0
    capsys.readouterr()
    assert main(["budgets", "list", "--json"]) == 0
    (listed,) = json.loads(capsys.readouterr().out)
    assert (listed["amount"], listed["hard"], listed["scope"]) == (2000, True, "tag:nlp")
    assert listed["spent"] == pytest.approx(40.0) and listed["share"] == pytest.approx(0.02)
    assert listed["from"] <= datetime.now(UTC).strftime("%Y-%m-%d") <= listed["until"]
    for argv, message in (
        (["budgets", "add", "x", "--amount", "-1"], "amount must be positive"),
        (["budgets", "add", "x", "--amount", "1", "--tag", "nope"], "no run has the tag"),
        (
            [
                "budgets",
                "add",
                "x",
                "--amount",
                "1",
                "--period",
                "custom",
                "--start",
                "2026-12-09",
                "--end",
                "2026-12-01",
            ],
            "is before the start",
        ),
        (["budgets", "add", "nlp-q4", "--amount", "1"], "a budget called 'nlp-q4' exists"),
        (["budgets", "set", "nope", "--amount", "1"], "no budget called 'nope'"),
    ):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert message in err and err.count("\n") == 1
    assert main(["budgets", "remove", "nlp-q4"]) == 0
    assert store.list_budgets() == []
