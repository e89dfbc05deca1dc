"""The Spend page and the report's spend section, on a crafted store."""

from __future__ import annotations

import random
import time

import pytest

from benchmarks.spend import craft_run
from dashboard.services import spend as spend_services
from paretolab.periods import previous_month
from paretolab.store import Budget, RunStore
from paretolab.store.schema import runs
from tests.dashboard.conftest import open_page
from tests.dashboard.test_business import costed  # noqa: F401 - the fixture


def _billed(store: RunStore, when: float, usd: float, status: str, tags=()) -> None:
    run = store.create_run({"hardware": {"profile": "cpu"}}, "r", "lm", tags)
    store.log_metrics(run.id, [("cost/usd", 1, usd, 0.0), ("cost/device_hours", 1, 1.0, 0.0)])
    with store.engine.begin() as conn:
        conn.execute(
            runs.update().where(runs.c.id == run.id).values(status=status, started_at=when)
        )


def test_the_page_shows_spend_waste_and_budgets(store: RunStore) -> None:
    rng = random.Random(1)
    for _ in range(40):
        craft_run(store, rng, time.time(), span_days=60)
    store.add_budget(Budget(name="team", amount=5000, unit="usd", period="month"))
    at = open_page("views/spend.py")
    since, until = spend_services.window("last month")
    expected = sum(r["usd"] for r in store.spend(since=since, until=until))
    spent = next(m for m in at.metric if m.label == "Spent")
    assert spent.value == f"${expected:,.2f}"
    table = at.dataframe[0].value
    assert set(table.columns) >= {"period", "group", "usd", "usd_waste", "usd_estimated"}
    assert at.dataframe[1].value["name"].tolist() == ["team"]
    at.selectbox(key="spend_group").set_value("tag").run()
    assert not at.exception
    assert "several tags" in " ".join(c.value for c in at.caption)


def test_the_report_section_has_period_top_tags_budgets_and_waste(store: RunStore) -> None:
    start, _ = previous_month(time.time())
    _billed(store, start + 3600, 30.0, "finished", ["nlp"])
    _billed(store, start + 7200, 10.0, "failed", ["nlp", "vision"])
    store.add_budget(Budget(name="team", amount=100, unit="usd", period="month"))
    summary, waste, _, tags, _, budgets = spend_services.report_items("last month")
    assert summary.startswith("Spend last month: ") and "$40.00" in summary
    assert waste == "Waste: $10.00 on failed and cancelled runs (25% of the spend)."
    assert tags["tag"].tolist() == ["nlp", "vision"]
    assert tags["usd"].tolist() == pytest.approx([40.0, 10.0])
    assert budgets["name"].tolist() == ["team"]


def test_the_stakeholder_report_carries_the_spend_section(costed, store: RunStore) -> None:  # noqa: F811
    start, _ = previous_month(time.time())
    _billed(store, start + 3600, 12.5, "cancelled", ["nlp"])
    at = open_page("views/business.py")
    at.button(key="biz_report").click().run()
    document = at.session_state["biz_report_html"]
    assert "<h2>Spend</h2>" in document
    assert "Waste: $12.50 on failed and cancelled runs (100% of the spend)." in document
    assert "<td>nlp</td>" in document  # the top tags table
