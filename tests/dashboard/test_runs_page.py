"""The dashboard renders headless (Streamlit AppTest) on an empty and a populated store."""

import pytest
from streamlit.testing.v1 import AppTest

from dashboard import services
from tests.conftest import REPO, queue_run, tiny_config


@pytest.fixture(autouse=True)
def _fresh_store_cache(home):
    services.get_store.clear()
    yield
    services.get_store.clear()


def run_app() -> AppTest:
    at = AppTest.from_file(str(REPO / "dashboard" / "app.py"), default_timeout=30)
    at.run()
    assert not at.exception, at.exception
    return at


def test_runs_page_on_an_empty_store() -> None:
    at = run_app()
    assert at.title[0].value == "Runs"
    assert "No runs yet" in at.info[0].value


def test_runs_page_lists_runs_with_metrics(store) -> None:
    first = queue_run(store, tiny_config("name=first"))
    second = queue_run(store, tiny_config("name=second"))
    store.mark_running(second, pid=1, host="elsewhere")
    store.log_metrics(first, [("val_acc", 3, 0.75, 1.0)])
    at = run_app()
    frame = at.dataframe[0].value
    assert list(frame["name"]) == ["second", "first"]
    assert list(frame["status"]) == ["running", "queued"]
    assert frame.loc[frame["id"] == first, "val_acc"].item() == 0.75
