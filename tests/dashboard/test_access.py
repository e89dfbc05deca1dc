"""Sign-in and roles in the dashboard: the services refuse what a role may not do (and write
nothing), and the pages sit behind a sign-in form and hide the buttons that would fail."""

from __future__ import annotations

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from dashboard.services import access
from dashboard.services import launch as launch_services
from dashboard.services import runs as run_services
from dashboard.services import sweeps as sweep_services
from dashboard.services.business import frontier as frontier_services
from paretolab.auth import USERS_ENV, AccessDenied, SignInThrottle, User, hash_password
from paretolab.errors import UserError
from paretolab.store import RunStore
from sweeps.spec import load_spec
from sweeps.storage import default_storage_url, open_storage
from sweeps.study import create_sweep
from tests.conftest import queue_run, tiny_config
from tests.dashboard.conftest import APP
from tests.sweeps.conftest import TINY_SPEC

ROLES = {"ada": "admin", "mia": "member", "max": "member", "vic": "viewer"}
PASSWORD = "a long password"


@pytest.fixture
def users_file(tmp_path, monkeypatch):
    """Sign-in on: a users file with an admin, two members and a viewer (one password)."""
    stored = hash_password(PASSWORD)
    lines = [f"{name}: {{role: {role}, password: '{stored}'}}" for name, role in ROLES.items()]
    path = tmp_path / "users.yaml"
    path.write_text("\n".join(lines) + "\n")
    monkeypatch.setenv(USERS_ENV, str(path))
    monkeypatch.setattr(access, "_throttle", SignInThrottle())  # no failures from other tests
    yield path
    st.session_state.pop(access.SESSION_USER, None)


def as_user(name: str) -> None:
    """Sign ``name`` in for service calls made outside a page (Streamlit's bare mode)."""
    st.session_state[access.SESSION_USER] = User(name, ROLES[name])


def run_of(store: RunStore, owner: str | None) -> int:
    config = tiny_config()
    return store.create_run(
        config.model_dump(mode="json"), "r", config.task, owner=owner, launch_key=None
    ).id


def test_a_viewer_changes_nothing(users_file, store: RunStore) -> None:
    as_user("vic")
    run_id = run_of(store, owner="mia")
    for action in (
        lambda: launch_services.launch(tiny_config(), "k"),
        lambda: run_services.cancel(run_id),
        lambda: run_services.delete_runs([run_id]),
        lambda: run_services.archive_runs([run_id]),
        lambda: run_services.add_tag([run_id], "x"),
        lambda: run_services.set_notes(run_id, "changed"),
        lambda: frontier_services.train_baseline(run_id),
        lambda: launch_services.suggest(tiny_config(), "lr"),
        lambda: sweep_services.launch(load_spec(TINY_SPEC, study="other"), 1),
    ):
        with pytest.raises(AccessDenied, match="vic is a viewer and cannot"):
            action()
    [run] = store.list_runs()
    assert (run.id, run.status, run.notes, run.tags, run.archived) == (
        run_id,
        "queued",
        "",
        (),
        False,
    )
    assert sweep_services.sweep_names() == []
    assert access.read_only() and not access.permitted("launch a run")


def test_a_member_launches_as_themself_and_changes_only_their_own_runs(
    users_file, store: RunStore
) -> None:
    as_user("mia")
    mine = launch_services.launch(tiny_config(), "k1")
    assert mine.owner == "mia"
    theirs, nobodys = run_of(store, owner="max"), run_of(store, owner=None)
    for other, why in ((theirs, "it belongs to max"), (nobodys, "it has no owner")):
        with pytest.raises(AccessDenied, match=why):
            run_services.cancel(other)
        with pytest.raises(AccessDenied, match=why):
            run_services.set_notes(other, "mine now")
    # All or nothing: one run that is not theirs refuses the whole batch.
    with pytest.raises(AccessDenied, match="mia cannot delete runs"):
        run_services.delete_runs([mine.id, theirs])
    assert {r.id for r in store.list_runs()} == {mine.id, theirs, nobodys}
    assert store.get_run(theirs).status == "queued" and store.get_run(theirs).notes == ""
    assert run_services.cancel(mine.id) == f"run {mine.id}: cancel requested"
    run_services.delete_runs([mine.id])
    assert {r.id for r in store.list_runs()} == {theirs, nobodys}


def test_an_admin_may_change_anyones_runs(users_file, store: RunStore) -> None:
    as_user("ada")
    theirs, nobodys = run_of(store, owner="mia"), run_of(store, owner=None)
    run_services.cancel(theirs)
    run_services.set_notes(nobodys, "checked")
    run_services.delete_runs([theirs])
    assert [(r.id, r.notes) for r in store.list_runs()] == [(nobodys, "checked")]


def test_sweeps_are_their_owners(users_file, store: RunStore) -> None:
    create_sweep(load_spec(TINY_SPEC, study="hers"), open_storage(default_storage_url()), "mia")
    as_user("max")
    with pytest.raises(AccessDenied, match="it belongs to mia"):
        sweep_services.stop("hers", cancel_running=True)
    with pytest.raises(AccessDenied, match="it belongs to mia"):
        sweep_services.enqueue("hers", 1)
    assert sweep_services.overview("hers")["state"] != "stopped"
    as_user("mia")
    assert sweep_services.stop("hers", cancel_running=False) == []
    assert sweep_services.overview("hers")["state"] == "stopped"
    assert sweep_services.owner("hers") == "mia"


def test_with_sign_in_on_nobody_signed_in_may_change_anything(users_file, store) -> None:
    run_id = queue_run(store, tiny_config())
    with pytest.raises(AccessDenied, match="sign in first"):
        run_services.cancel(run_id)
    assert store.get_run(run_id).status == "queued"


def test_a_broken_users_file_refuses_changes(users_file, store) -> None:
    users_file.write_text("vic: {role: root}\n")
    as_user("vic")
    with pytest.raises(UserError, match="needs a role"):
        launch_services.launch(tiny_config(), "k")
    assert store.list_runs() == []


# ------------------------------------------------------------------ pages


def sign_in(at: AppTest, name: str, password: str) -> AppTest:
    at.text_input(key="sign_in_name").input(name)
    at.text_input(key="sign_in_password").input(password)
    return at.button[0].click().run()  # the form's Sign in button


def test_every_page_waits_behind_the_sign_in_form(users_file, store) -> None:
    queue_run(store, tiny_config())
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    assert at.title[0].value == "Sign in to paretolab"
    assert not at.dataframe  # no runs table until signed in
    sign_in(at, "vic", "wrong password")
    assert at.error[0].value == "wrong user name or password"
    assert not at.dataframe
    sign_in(at, "vic", PASSWORD)
    assert not at.exception and not at.error
    assert at.title[0].value == "Runs" and len(at.dataframe) == 1
    assert "Signed in as **vic** · viewer" in at.sidebar.caption[0].value
    assert not [b for b in at.button if b.key in ("runs_delete", "runs_archive")]
    at.sidebar.button(key="sign_out").click().run()
    assert at.title[0].value == "Sign in to paretolab"


@pytest.mark.slow
def test_a_viewer_has_no_launch_page_and_a_member_does(users_file, store) -> None:
    at = sign_in(AppTest.from_file(APP, default_timeout=60).run(), "vic", PASSWORD)
    with pytest.raises(ValueError):  # not among the viewer's pages
        at.switch_page("views/launch.py")
    run_id = queue_run(store, tiny_config())
    at.query_params["run"] = str(run_id)
    at.switch_page("views/run.py").run()
    assert not [b for b in at.button if b.key == "run_cancel"]  # nobody's run, a viewer
    assert at.text_area(key=f"run_notes_{run_id}").disabled

    at = sign_in(AppTest.from_file(APP, default_timeout=60).run(), "mia", PASSWORD)
    at.switch_page("views/launch.py").run()
    assert not at.exception
    assert [b for b in at.button if b.key == "launch_button"]


OIDC_SECRETS = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "test-cookie-secret-not-used",
    "client_id": "paretolab",
    "client_secret": "not-used",
    "server_metadata_url": "https://idp.example.com/.well-known/openid-configuration",
}


def oidc_app(user: dict) -> AppTest:
    """The app with an ``[auth]`` section and ``st.user`` as an identity provider would
    leave it (no provider is reached: AppTest seeds ``st.user``)."""
    at = AppTest.from_file(APP, default_timeout=60)
    at.secrets["auth"] = OIDC_SECRETS
    at.user = user
    return at.run()


def test_oidc_sign_in_maps_the_email_to_a_role(tmp_path, monkeypatch, store) -> None:
    path = tmp_path / "users.yaml"
    path.write_text("carol@example.com: member\n")
    monkeypatch.setenv(USERS_ENV, str(path))
    at = oidc_app({"is_logged_in": False})
    assert at.title[0].value == "Sign in to paretolab"
    assert [b.label for b in at.button] == ["Sign in"]  # st.login(): the one provider
    assert not at.text_input  # no password form in OIDC mode
    named = {k: v for k, v in OIDC_SECRETS.items() if k in ("redirect_uri", "cookie_secret")}
    at.secrets["auth"] = {**named, "google": OIDC_SECRETS, "okta": OIDC_SECRETS}
    assert [b.label for b in at.run().button] == ["Sign in with google", "Sign in with okta"]

    at = oidc_app({"is_logged_in": True, "email": "Carol@example.com", "name": "Carol"})
    assert not at.exception and at.title[0].value == "Runs"
    assert "Signed in as **Carol@example.com** · member" in at.sidebar.caption[0].value
    at.switch_page("views/launch.py").run()
    assert [b for b in at.button if b.key == "launch_button"]

    # Not in the users file: a viewer (and with no users file at all, everyone is one).
    monkeypatch.delenv(USERS_ENV)
    at = oidc_app({"is_logged_in": True, "email": "eve@example.com"})
    assert "Signed in as **eve@example.com** · viewer" in at.sidebar.caption[0].value
