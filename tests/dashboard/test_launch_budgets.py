"""The Launch page against the budgets: it shows what the run would take of each, asks for
confirmation past a soft one (recorded with the run) and refuses past a hard one."""

from __future__ import annotations

from paretolab.auth import os_user
from paretolab.store import Budget, RunStore
from tests.dashboard.conftest import open_page


def _used_up(store: RunStore, hard: bool) -> None:
    run = store.create_run({"hardware": {"profile": "cpu"}}, "old", "lm")
    store.log_metrics(run.id, [("cost/usd", 1, 5.0, 0.0), ("cost/device_hours", 1, 1.0, 0.0)])
    store.claim(run.id)
    store.mark_finished(run.id)
    store.add_budget(Budget(name="team", amount=5.0, unit="usd", period="month", hard=hard))


def test_past_a_soft_budget_the_form_needs_confirmation(store: RunStore) -> None:
    _used_up(store, hard=False)
    at = open_page("views/launch.py")
    assert "budget team ($5 month, soft): 100% spent" in at.warning[0].value
    at.button(key="launch_button").click().run()
    assert "confirm with the 'Launch past a soft budget' box" in at.error[0].value
    assert len(store.list_runs()) == 1  # nothing stored
    at.checkbox(key="launch_confirm_over_budget").check().run()
    at.button(key="launch_button").click().run()
    assert not at.exception
    new = store.list_runs()[0]
    assert new.status == "queued"
    # Without sign-in the dashboard acts as the OS user, as `paretolab train` does.
    confirmed_by = f"confirmed by {os_user()}: budget team"
    assert store.over_budget_note(new.id).startswith(confirmed_by)


def test_past_a_hard_budget_the_form_refuses(store: RunStore) -> None:
    _used_up(store, hard=True)
    at = open_page("views/launch.py")
    assert "a hard budget, the launch will be refused" in at.error[0].value
    at.button(key="launch_button").click().run()
    assert any("refused: budget team" in e.value for e in at.error)
    assert len(store.list_runs()) == 1


def test_the_sweeps_page_prices_a_sweep_and_refuses_past_a_hard_budget(
    store: RunStore, monkeypatch
) -> None:
    from dashboard.services import sweeps as sweep_services

    started = []
    monkeypatch.setattr(sweep_services, "spawn_workers", lambda *a: started.append(a))
    _used_up(store, hard=True)
    at = open_page("views/sweeps.py")
    at.selectbox(key="sweeps_preset").set_value("tiny").run()
    assert any(m.value.startswith("**Projected cost: $") for m in at.markdown)
    assert any("6 trials" in c.value for c in at.caption)
    assert "a hard budget, the launch will be refused" in at.error[0].value
    at.button(key="sweeps_launch").click().run()
    assert any("refused: budget team" in e.value for e in at.error)
    assert started == [] and sweep_services.sweep_names() == []
