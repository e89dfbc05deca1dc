"""Spend over time (paretolab.store.spend): sums agree with each run's own cost record."""

from __future__ import annotations

import random
import time
from collections import defaultdict
from datetime import UTC, datetime

import pytest

from benchmarks.spend import DAY, craft_run
from paretolab.costing.run_figures import config_burn_rate, cost_figures
from paretolab.store import RunStore

NOW = time.time()


def _expected_usd(store: RunStore, crafted: dict) -> tuple[float, bool]:
    """The run's $ by its own record (what the Business page shows), else rate × hours held."""
    run = store.get_run(crafted["id"])
    figures = cost_figures(store.latest_metrics(run.id))
    if "device_hours" in figures:
        return figures["usd"], False
    if run.started_at is None:
        return 0.0, True
    end = NOW if run.status == "running" else (run.heartbeat_at or run.ended_at)
    return config_burn_rate(run.config).usd_per_hour * (end - run.started_at) / 3600, True


@pytest.mark.slow
def test_spend_agrees_with_per_run_records_to_the_cent(any_store: RunStore) -> None:
    rng = random.Random(7)
    crafted = [craft_run(any_store, rng, NOW, span_days=70) for _ in range(120)]
    by_month: dict[str, float] = defaultdict(float)
    by_owner: dict[str, float] = defaultdict(float)
    waste = estimated = 0.0
    for c in crafted:
        usd, is_estimate = _expected_usd(any_store, c)
        run = any_store.get_run(c["id"])
        when = run.started_at or run.created_at
        by_month[datetime.fromtimestamp(when, UTC).strftime("%Y-%m")] += usd
        by_owner[run.owner or "(none)"] += usd
        waste += usd if run.status in ("failed", "cancelled") else 0.0
        estimated += usd if is_estimate else 0.0
    rows = any_store.spend(period="month", now=NOW)
    assert {r["period"]: round(r["usd"], 2) for r in rows} == {
        k: round(v, 2) for k, v in by_month.items()
    }
    assert round(sum(r["usd_waste"] for r in rows), 2) == round(waste, 2)
    assert round(sum(r["usd_estimated"] for r in rows), 2) == round(estimated, 2)
    assert sum(r["runs"] for r in rows) == len(crafted)
    owners: dict[str, float] = defaultdict(float)
    for r in any_store.spend(by="owner", period="month", now=NOW):
        owners[r["group"]] += r["usd"]
    assert {k: round(v, 2) for k, v in owners.items()} == {
        k: round(v, 2) for k, v in by_owner.items()
    }


def test_tags_weeks_and_window(any_store: RunStore) -> None:
    store = any_store
    # 2026-11-04 is a Wednesday: its week starts Monday 2026-11-02.
    wednesday = datetime(2026, 11, 4, 12, tzinfo=UTC).timestamp()
    config = {"hardware": {"profile": "cpu"}}
    tagged = store.create_run(config, "a", "classification", ["nlp", "prod"]).id
    plain = store.create_run(config, "b", "classification").id
    for run_id, usd in ((tagged, 1.25), (plain, 2.5)):
        store.log_metrics(run_id, [("cost/usd", 1, usd, 0.0), ("cost/device_hours", 1, 1.0, 0.0)])
        _started(store, run_id, wednesday)
    rows = store.spend(by="tag", period="week", now=NOW)
    assert {(r["period"], r["group"]): r["usd"] for r in rows} == {
        ("2026-11-02", "nlp"): 1.25,
        ("2026-11-02", "prod"): 1.25,
        ("2026-11-02", "(none)"): 2.5,
    }
    assert store.spend(since=wednesday + DAY, now=NOW) == []
    assert store.spend(until=wednesday, now=NOW) == []


def test_a_running_run_counts_what_it_has_used_so_far(store: RunStore) -> None:
    run = store.create_run({"hardware": {"profile": "cpu"}}, "r", "classification")
    store.claim(run.id)
    rate = config_burn_rate(store.get_run(run.id).config)
    started = store.get_run(run.id).started_at
    (row,) = store.spend(now=started + 7200)
    assert row["usd_running"] == pytest.approx(2 * rate.usd_per_hour)
    assert row["device_hours"] == pytest.approx(2 * rate.device_hours_per_hour)
    assert row["runs_estimated"] == 1 and row["runs_unpriced"] == 0


def test_the_measured_energy_key_is_the_monitors() -> None:
    from paretolab import monitoring
    from paretolab.costing import run_figures

    assert run_figures.MEASURED_ENERGY == monitoring.ENERGY_KWH
    assert run_figures.SPEND_KEY.match("fold2/" + monitoring.ENERGY_KWH)


def _started(store: RunStore, run_id: int, when: float) -> None:
    from paretolab.store.schema import runs

    with store.engine.begin() as conn:
        conn.execute(
            runs.update()
            .where(runs.c.id == run_id)
            .values(status="finished", started_at=when, ended_at=when + 60)
        )
