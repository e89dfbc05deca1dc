"""Sign-in in a real headless Chromium: a deep link opens after signing in, a reload keeps
the sign-in (the signed session cookie), and after sign-out a reload asks again."""

import shutil
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

from benchmarks.browser import start_dashboard, stop_dashboard
from dashboard.services.business.report import CHROMIUM_ARGS
from paretolab.auth import USERS_ENV, hash_password
from paretolab.store import RunStore
from tests.conftest import queue_run, tiny_config

PASSWORD = "a long password"


def test_deep_link_cookie_and_sign_out_in_a_browser(home: Path, tmp_path: Path, monkeypatch):
    users = tmp_path / "users.yaml"
    users.write_text(f"ada: {{role: admin, password: '{hash_password(PASSWORD)}'}}\n")
    monkeypatch.setenv(USERS_ENV, str(users))
    store = RunStore()
    for i in (1, 2):
        queue_run(store, tiny_config(f"name=r{i}", "trainer.max_epochs=1"))
    proc, url = start_dashboard(home, tmp_path / "streamlit.log")
    chromium = shutil.which("chromium")
    assert chromium, "Debian's chromium is not installed (apt-get install chromium)"
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            page = browser.new_page()
            page.goto(f"{url}/run?run=2")
            page.get_by_text("Sign in to paretolab").wait_for(timeout=60_000)
            page.get_by_role("textbox", name="User name").fill("ada")
            page.get_by_role("textbox", name="Password", exact=True).fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            heading = page.get_by_role("heading", name="Run 2: r2")
            heading.wait_for(timeout=60_000)
            assert "run=2" in page.url
            page.wait_for_timeout(1000)  # the cookie script runs as the page draws
            assert "paretolab_session" in [c["name"] for c in page.context.cookies()]

            page.reload()
            heading.wait_for(timeout=60_000)
            expect(page.get_by_text("Sign in to paretolab")).to_have_count(0)

            page.get_by_role("button", name="Sign out").click()
            page.get_by_text("Sign in to paretolab").wait_for(timeout=60_000)
            page.wait_for_timeout(1000)
            page.reload()
            page.get_by_text("Sign in to paretolab").wait_for(timeout=60_000)
            browser.close()
    finally:
        stop_dashboard(proc, home)
