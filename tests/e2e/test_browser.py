"""End to end in a real headless Chromium (Debian's package, driven by Playwright):
start the dashboard, launch a tiny run from the form, watch it finish, open it, compare,
see what the runs cost.

Screenshots go to $PARETOLAB_SCREENSHOTS (README's tour uses docs/img) or tmp_path.
"""

import os
import shutil
import time
from pathlib import Path

import pytest
from playwright.sync_api import Page, sync_playwright

from benchmarks.browser import start_dashboard, stop_dashboard
from dashboard.services.business.report import CHROMIUM_ARGS
from paretolab.store import RunStore
from tests.conftest import REPO


@pytest.fixture
def dashboard(home: Path, tmp_path: Path):
    """A Streamlit server on 127.0.0.1 over an empty home; stopped (with its executor) after."""
    home.mkdir(parents=True, exist_ok=True)
    proc, url = start_dashboard(home, tmp_path / "streamlit.log")
    try:
        yield url
    finally:
        stop_dashboard(proc, home)


@pytest.fixture
def shots() -> Path:
    folder = Path(os.environ.get("PARETOLAB_SCREENSHOTS") or REPO / ".pytest-screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def launch_from_form(page: Page, url: str) -> str:
    page.goto(f"{url}/launch")
    page.get_by_role("button", name="Launch", exact=True).click()
    queued = page.get_by_text("is queued")
    queued.wait_for(timeout=60_000)
    return queued.inner_text()


def test_launch_watch_and_compare_in_a_browser(dashboard: str, shots: Path, home: Path) -> None:
    chromium = shutil.which("chromium")
    assert chromium, "Debian's chromium is not installed (apt-get install chromium)"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1440, "height": 1000})
            assert "Run 1 is queued" in launch_from_form(page, dashboard)
            page.get_by_role("link", name="Open run 1").wait_for()
            page.screenshot(path=shots / "launch.png", full_page=True)

            page.get_by_role("link", name="Open run 1").click()
            page.get_by_text("status: finished").wait_for(timeout=240_000)
            page.get_by_text("val_acc").first.wait_for()
            page.wait_for_timeout(1500)  # let the charts draw
            page.screenshot(path=shots / "run.png", full_page=True)

            page.goto(f"{dashboard}/launch")
            page.get_by_role("textbox", name="name").fill("tiny-bbc-seed7")
            page.keyboard.press("Enter")
            page.get_by_role("tab", name="trainer").click()
            page.get_by_role("spinbutton", name="seed").fill("7")
            page.keyboard.press("Enter")
            page.wait_for_timeout(1000)
            page.get_by_role("button", name="Launch", exact=True).click()
            page.get_by_text("Run 2 is queued").wait_for(timeout=60_000)
            assert RunStore().get_run(2).config["trainer"]["seed"] == 7

            store = RunStore()
            deadline = time.monotonic() + 240
            # One read per look: the run may finish between two reads.
            while (run2 := store.get_run(2)).status != "finished":
                assert run2.status in ("queued", "running"), run2.error
                assert time.monotonic() < deadline, "second run did not finish"
                time.sleep(1.0)
            page.goto(dashboard)
            page.get_by_text("2 runs").wait_for(timeout=30_000)
            page.wait_for_timeout(1000)
            page.screenshot(path=shots / "runs.png", full_page=True)

            page.goto(f"{dashboard}/compare?runs=1,2")
            page.get_by_text("val_acc").first.wait_for(timeout=60_000)
            page.wait_for_timeout(1500)
            page.screenshot(path=shots / "compare.png", full_page=True)

            page.goto(f"{dashboard}/business")  # both finished runs, what they cost
            page.get_by_text("Pareto frontier").first.wait_for(timeout=60_000)
            page.get_by_text("per 1M tokens").first.wait_for(timeout=30_000)
            page.wait_for_timeout(1500)
            page.screenshot(path=shots / "business.png", full_page=True)
        finally:
            browser.close()
