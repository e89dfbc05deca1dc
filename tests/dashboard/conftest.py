import pytest
from streamlit.testing.v1 import AppTest

from dashboard.services import common
from dashboard.services import system as system_services
from paretolab.executors import local
from tests.conftest import REPO

APP = str(REPO / "dashboard" / "app.py")


@pytest.fixture(autouse=True)
def dashboard_env(home, monkeypatch):
    """A fresh store per test; no background executor (tests drive it by hand)."""
    monkeypatch.setattr(local, "ensure_executor", lambda store: None)
    common.get_store.clear()
    common._executor_for.clear()
    system_services.machine.clear()  # device detection is cached per server; tests may mock it
    yield
    common.get_store.clear()
    system_services.machine.clear()


def open_page(page: str, **query: str) -> AppTest:
    """Run the app, switch to ``page`` (e.g. "views/launch.py"), and check it rendered."""
    at = AppTest.from_file(APP, default_timeout=60)
    for k, v in query.items():
        at.query_params[k] = v
    at.switch_page(page)
    at.run()
    assert not at.exception, at.exception
    return at
