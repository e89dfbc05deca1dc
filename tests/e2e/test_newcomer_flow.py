"""The whole flow a newcomer takes (issue 22), in one real headless Chromium session, every
action's result visible without a reload: launch and watch a run finish, cancel a second,
compare them, look inside, train the baseline, build and download the report, run a sweep.
Screenshots for README land in the screenshots folder (``make screenshots``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.chromium import chromium_page, start_one_trial_sweep
from tests.e2e.test_browser import dashboard, launch_from_form, shots  # noqa: F401 (fixtures)


@pytest.fixture
def browser_page(dashboard: str) -> Iterator[Page]:  # noqa: F811
    with chromium_page() as opened:
        yield opened


def settle(page: Page) -> None:
    page.wait_for_timeout(1500)  # let the charts draw before a screenshot


def test_the_newcomer_flow_shows_every_result_at_once(
    browser_page: Page,
    dashboard: str,  # noqa: F811
    shots: Path,  # noqa: F811
) -> None:
    page = browser_page
    # Launch the first preset and watch it finish on its page (it learns: val_acc shows).
    assert "Run 1 is queued" in launch_from_form(page, dashboard)
    page.get_by_role("link", name="Open run 1").click()
    page.get_by_text("status: finished").wait_for(timeout=240_000)
    page.get_by_text("val_acc").first.wait_for()
    settle(page)
    page.screenshot(path=shots / "flow-run.png", full_page=True)

    # A second run, cancelled after a confirmation: the picker says so at once (defect 3).
    assert "Run 2 is queued" in launch_from_form(page, dashboard)
    page.get_by_role("link", name="Open run 2").click()
    page.get_by_text("status: running").wait_for(timeout=120_000)
    page.get_by_role("button", name="Cancel run").click()
    page.get_by_role("button", name="Yes, cancel run 2").click()
    expect(page.get_by_text("status: cancelled").first).to_be_visible(timeout=120_000)
    picker = page.get_by_test_id("stSelectbox").first
    expect(picker).to_match_aria_snapshot('- combobox "Run": /2 · .* · cancelled/', timeout=15_000)

    # Compare: the monitored metric leads (Final metrics), the view lives in the URL.
    page.goto(f"{dashboard}/compare?runs=1,2&x=wall")
    page.get_by_text("val_acc").first.wait_for(timeout=60_000)
    settle(page)
    page.screenshot(path=shots / "flow-compare.png", full_page=True)
    assert "x=wall" in page.url

    # Look inside run 1.
    page.goto(f"{dashboard}/attention?run=1")
    page.get_by_role("heading", name="Look inside").wait_for(timeout=60_000)
    # The maps of a test sample draw without a click: the page answers its question first.
    expect(page.locator(".js-plotly-plot").first).to_be_visible(timeout=120_000)
    settle(page)
    page.screenshot(path=shots / "flow-attention.png", full_page=True)

    # The baseline shows as soon as it is trained (defect 2), and the report carries it.
    page.goto(f"{dashboard}/business")
    page.get_by_role("button", name="Train the classical baseline on this split").click(
        timeout=300_000
    )
    expect(page.get_by_text("Transformer runs beat it")).to_be_visible(timeout=300_000)
    expect(page.get_by_text("No baseline for this split yet")).to_have_count(0)
    settle(page)
    page.screenshot(path=shots / "flow-business.png", full_page=True)
    page.get_by_role("button", name="Build the stakeholder report").click()
    with page.expect_download(timeout=60_000) as started:
        page.get_by_role("button", name="HTML").click()
    html = Path(started.value.path()).read_text(encoding="utf-8")
    assert "Classical baseline" in html and "Spend" in html

    # Last, a sweep: listed the moment it starts (defect 1). It is left to finish: the page
    # redraws as its trial's run changes state, which a popover would not survive.
    start_one_trial_sweep(page, dashboard)
    settle(page)
    page.screenshot(path=shots / "flow-sweeps.png", full_page=True)
