"""Headless Chromium for the browser tests: Debian's package, driven by Playwright, and
the steps several flows share (a one-trial sweep started and stopped on the Sweeps page)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager

from playwright.sync_api import Page, expect, sync_playwright

from dashboard.services.business.report import CHROMIUM_ARGS

# One short trial: the tests watch the Studies tab, not the training.
ONE_TRIAL_SPEC = """study: one-trial
base: ../digits_tiny.yaml
fixed: {trainer.max_epochs: 1, data.limit_samples: 100, wandb.mode: disabled}
n_trials: 1
objectives: [{metric: val_acc, direction: maximize}]
parameters: {optim.lr: {type: float, low: 0.001, high: 0.01, log: true}}
"""


@contextmanager
def chromium_page() -> Iterator[Page]:
    """A 1440×1000 page of a fresh headless Chromium that accepts downloads; closed after."""
    chromium = shutil.which("chromium")
    assert chromium, "Debian's chromium is not installed (apt-get install chromium)"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser.new_page(viewport={"width": 1440, "height": 1000}, accept_downloads=True)
        finally:
            browser.close()


def start_one_trial_sweep(page: Page, url: str) -> None:
    """Launch ``ONE_TRIAL_SPEC`` from New sweep and check the Studies tab lists it at once."""
    page.goto(f"{url}/sweeps")
    page.get_by_role("tab", name="New sweep").click()
    page.get_by_text("YAML", exact=True).click()
    page.get_by_role("textbox", name="Sweep spec YAML").fill(ONE_TRIAL_SPEC)
    page.keyboard.press("Control+Enter")
    page.get_by_role("spinbutton", name="Workers on this server").fill("1")
    page.keyboard.press("Enter")
    page.get_by_role("button", name="Launch sweep").click()
    page.get_by_text("Sweep one-trial started").wait_for(timeout=60_000)
    page.get_by_role("tab", name="Studies").click()
    expect(page.get_by_text("1 sweep(s)")).to_be_visible(timeout=15_000)


def stop_sweep(page: Page) -> None:
    """Stop the open sweep, cancelling its running trials, and check it says so."""
    page.get_by_role("button", name="Stop").click()
    page.get_by_text("cancel", exact=True).click()
    page.get_by_role("button", name="Stop the sweep").click()
    expect(page.get_by_text("one-trial stopped")).to_be_visible(timeout=30_000)
