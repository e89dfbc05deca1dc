"""One click per download (issue 22, newcomer need 4), in a real headless Chromium: an
artifact, a metric's full series as CSV, and the report's PDF, each without a prepare step."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page

from paretolab import settings
from paretolab.store import RunStore
from tests.conftest import queue_run, tiny_config
from tests.e2e.chromium import chromium_page
from tests.e2e.test_browser import dashboard  # noqa: F401  (fixture)


@pytest.fixture
def finished_run(store: RunStore) -> int:
    """A finished run with a val_acc series, a cost and a small text artifact."""
    run_id = queue_run(store, tiny_config())
    store.mark_running(run_id, pid=1)
    points = [("val_acc", s, 0.5 + s / 100, float(s)) for s in (1, 2, 3)]
    store.log_metrics(run_id, [*points, ("cost/usd", 3, 2.91e-05, 3.0)])
    folder = settings.run_dir(run_id)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "notes.txt").write_text("hello from run 1\n")
    store.add_artifact(run_id, "notes.txt", "text", 17)
    store.mark_finished(run_id)
    return run_id


@pytest.fixture
def page(finished_run: int, dashboard: str) -> Iterator[Page]:  # noqa: F811
    with chromium_page() as opened:
        yield opened


def download(page: Page, button: str) -> bytes:
    with page.expect_download(timeout=60_000) as started:
        page.get_by_role("button", name=button, exact=True).click()
    return Path(started.value.path()).read_bytes()


def test_each_download_is_one_click(page: Page, dashboard: str) -> None:  # noqa: F811
    page.goto(f"{dashboard}/run?run=1")
    page.get_by_text("status: finished").wait_for(timeout=60_000)
    assert download(page, "Download CSV").decode().splitlines()[0].startswith("step")
    page.get_by_role("tab", name="Artifacts").click()
    assert download(page, "download") == b"hello from run 1\n"

    page.goto(f"{dashboard}/business")
    page.get_by_role("button", name="Build the stakeholder report").click()
    assert download(page, "PDF").startswith(b"%PDF")
