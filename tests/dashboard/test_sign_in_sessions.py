"""Password sign-in in the dashboard: a deep link survives signing in, and a signed session
cookie keeps the sign-in across reloads until sign-out, a password change or expiry."""

from __future__ import annotations

import base64
import re

import pytest
from streamlit.testing.v1 import AppTest

from paretolab import sessions
from paretolab.auth import hash_password
from paretolab.store import RunStore
from tests.conftest import queue_run, tiny_config
from tests.dashboard.conftest import APP
from tests.dashboard.test_access import PASSWORD, sign_in, users_file  # noqa: F401

COOKIE = re.compile(r"document\.cookie = \"paretolab_session=([^;]*); Path=/; Max-Age=(\d+)")


def cookies_written(at: AppTest) -> list[tuple[str, int]]:
    """(value, max-age) of each session cookie the page's scripts set."""
    bodies = [e.proto.body for e in at.get("html")]
    return [(m[1], int(m[2])) for body in bodies for m in COOKIE.finditer(body)]


def reload(monkeypatch, cookie: str | None, **query: str) -> AppTest:
    """A new browser session (a reload) that sends ``cookie``."""
    monkeypatch.setattr("dashboard.components.sign_in.browser_cookie", lambda: cookie)
    at = AppTest.from_file(APP, default_timeout=60)
    for key, value in query.items():
        at.query_params[key] = value
    return at.run()


def signed_in_cookie(at: AppTest) -> str:
    sign_in(at, "ada", PASSWORD)
    ((token, max_age),) = cookies_written(at)
    assert max_age == sessions.MAX_AGE_S
    return token


@pytest.fixture
def two_runs(users_file, store: RunStore) -> list[int]:  # noqa: F811
    return [queue_run(store, tiny_config(f"name=r{i}")) for i in (1, 2)]


def test_a_deep_link_opens_after_sign_in(two_runs, monkeypatch) -> None:
    """/run?run=2 shows the sign-in form, then run 2, even where the browser went back to
    the app's root while the form showed."""
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["run"] = "2"
    at.switch_page("views/run.py").run()
    assert at.title[0].value == "Sign in to paretolab"
    at.switch_page("views/runs.py")  # what the browser showed while the form was up
    at.query_params.clear()
    sign_in(at, "ada", PASSWORD)
    assert not at.exception
    assert at.title[0].value == "Run 2: r2"
    assert at.query_params["run"] == "2"


def test_a_reload_keeps_the_sign_in(two_runs, monkeypatch) -> None:
    token = signed_in_cookie(reload(monkeypatch, None))
    at = reload(monkeypatch, token)
    assert not at.exception
    assert at.title[0].value != "Sign in to paretolab"
    assert "Signed in as **ada** · admin" in at.sidebar.caption[0].value


def test_sign_out_ends_the_cookie(two_runs, monkeypatch) -> None:
    at = reload(monkeypatch, None)
    token = signed_in_cookie(at)
    at.sidebar.button(key="sign_out").click().run()
    assert at.title[0].value == "Sign in to paretolab"
    assert cookies_written(at) == [("", 0)]  # the browser drops it
    assert reload(monkeypatch, token).title[0].value == "Sign in to paretolab"  # kept: dead


def test_a_password_change_ends_the_cookie_and_the_open_session(
    two_runs,
    users_file,  # noqa: F811 (the fixture imported above)
    monkeypatch,
) -> None:
    at = reload(monkeypatch, None)
    token = signed_in_cookie(at)
    text = users_file.read_text().splitlines()
    text[0] = f"ada: {{role: admin, password: '{hash_password('a new long password')}'}}"
    users_file.write_text("\n".join(text) + "\n")
    at.run()  # the open session's next rerun
    assert at.title[0].value == "Sign in to paretolab"
    assert reload(monkeypatch, token).title[0].value == "Sign in to paretolab"


def vics_token_as(name: str, at: AppTest) -> str:
    """vic's (a viewer's) valid token with the user part swapped for ``name``."""
    sign_in(at, "vic", PASSWORD)
    ((token, _),) = cookies_written(at)
    version, _, *rest = token.split(".")
    user = base64.urlsafe_b64encode(name.encode()).decode().rstrip("=")
    return ".".join([version, user, *rest])


@pytest.mark.parametrize("kind", ["viewer's token made an admin's", "expired", "signed out"])
def test_a_bad_cookie_shows_the_sign_in_form(two_runs, monkeypatch, kind) -> None:
    if kind == "expired":
        token = sessions.make_token("ada", "x", max_age_s=-1)
    elif kind == "signed out":
        token = signed_in_cookie(reload(monkeypatch, None))
        sessions.end_sessions("ada")  # signed out in another browser
    else:
        token = vics_token_as("ada", reload(monkeypatch, None))
    at = reload(monkeypatch, token)
    assert not at.exception
    assert at.title[0].value == "Sign in to paretolab"
    assert ("", 0) in cookies_written(at)  # the dead cookie is removed
