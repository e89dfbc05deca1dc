"""Every action shows its result without a reload (issue 22, defects 1–3), in a real
headless Chromium: a launched sweep is listed, a trained baseline is shown, a cancelled
run's picker says so."""

import time
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from paretolab.baselines import BASELINE_TASKS
from paretolab.store import RunStore
from tests.e2e.chromium import chromium_page, start_one_trial_sweep, stop_sweep
from tests.e2e.test_browser import dashboard, launch_from_form  # noqa: F401  (fixture)


@pytest.fixture
def page(dashboard: str) -> Iterator[Page]:  # noqa: F811
    with chromium_page() as opened:
        yield opened


def wait_until_ended(run_id: int, seconds: float = 300) -> None:
    store, deadline = RunStore(), time.monotonic() + seconds
    while (run := store.get_run(run_id)).status in ("queued", "running"):
        assert time.monotonic() < deadline, f"run {run_id} did not end"
        time.sleep(1.0)
    assert run.status == "finished", run.error


def test_a_launched_sweep_is_listed_at_once(page: Page, dashboard: str) -> None:  # noqa: F811
    page.goto(f"{dashboard}/sweeps")
    page.get_by_text("No sweeps yet").wait_for(timeout=60_000)
    start_one_trial_sweep(page, dashboard)
    expect(page.get_by_text("No sweeps yet")).to_have_count(0)
    stop_sweep(page)  # stopping shows its result too (and frees the CPU for the next tests)


def test_a_trained_baseline_shows_at_once(page: Page, dashboard: str) -> None:  # noqa: F811
    assert "classification" in BASELINE_TASKS
    launch_from_form(page, dashboard)  # the tiny preset: classification on BBC News
    wait_until_ended(1)
    page.goto(f"{dashboard}/business")
    page.get_by_text("No baseline for this split yet").wait_for(timeout=300_000)
    page.get_by_role("button", name="Train the classical baseline on this split").click()
    expect(page.get_by_text("Transformer runs beat it")).to_be_visible(timeout=300_000)
    expect(page.get_by_text("No baseline for this split yet")).to_have_count(0)


def test_a_cancelled_run_reads_cancelled_in_the_picker(page: Page, dashboard: str) -> None:  # noqa: F811
    launch_from_form(page, dashboard)
    page.get_by_role("link", name="Open run 1").click()
    page.get_by_text("status: running").wait_for(timeout=120_000)
    page.get_by_role("button", name="Cancel run").click()
    page.get_by_role("button", name="Yes, cancel run 1").click()  # a confirmation first
    expect(page.get_by_text("status: cancelled").first).to_be_visible(timeout=120_000)
    picker = page.get_by_test_id("stSelectbox").first  # the Run picker, above the tabs
    expect(picker).to_match_aria_snapshot('- combobox "Run": /1 · .* · cancelled/', timeout=15_000)
