"""Users file, scrypt password hashes and role checks."""

from __future__ import annotations

import pytest

from paretolab.auth import (
    OFF,
    OIDC,
    PASSWORD,
    AccessDenied,
    SignInThrottle,
    User,
    authorize,
    hash_password,
    load_users,
    oidc_user,
    sign_in,
    sign_in_mode,
    signed_in_user,
    verify_password,
)
from paretolab.errors import UserError


def test_a_hash_verifies_its_password_only() -> None:
    stored = hash_password("correct horse")
    assert stored.startswith("scrypt$") and "correct horse" not in stored
    assert verify_password("correct horse", stored)
    assert not verify_password("correct horsE", stored)
    assert not verify_password("x", "scrypt$broken")
    assert hash_password("same") != hash_password("same")  # salted


def test_sign_in_from_a_users_file(tmp_path) -> None:
    path = tmp_path / "users.yaml"
    path.write_text(
        f"alice: {{role: admin, password: '{hash_password('a-pass')}'}}\n"
        f"bob: {{role: viewer, password: '{hash_password('b-pass')}'}}\n"
    )
    users = load_users(path)
    assert sign_in(users, "alice", "a-pass") == User("alice", "admin")
    assert sign_in(users, "alice", "b-pass") is None
    assert sign_in(users, "mallory", "a-pass") is None


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("eve: {role: root, password: 'scrypt$1'}\n", "needs a role"),
        ("eve: {role: member, password: plain-text}\n", "no scrypt password hash"),
        ("- eve\n", "expected a mapping"),
        ("eve: [unclosed\n", "cannot read the users file"),
    ],
)
def test_a_malformed_users_file_is_refused(tmp_path, text, fragment) -> None:
    path = tmp_path / "users.yaml"
    path.write_text(text)
    with pytest.raises(UserError, match=fragment):
        load_users(path)


def test_roles() -> None:
    viewer, member, admin = User("v", "viewer"), User("m", "member"), User("a", "admin")
    with pytest.raises(AccessDenied, match="is a viewer and cannot launch a run"):
        authorize(viewer, "launch a run")
    authorize(member, "launch a run")
    authorize(member, "cancel a run", owner="m")
    with pytest.raises(AccessDenied, match="belongs to a"):
        authorize(member, "cancel a run", owner="a")
    authorize(admin, "delete runs", owner="m")
    authorize(None, "delete runs", owner="m")  # authentication off


@pytest.mark.parametrize(
    "role, action, owner, allowed",
    [
        ("viewer", "launch a run", "NEW", False),
        ("viewer", "cancel a run", "v", False),  # not even their own (a viewer launches none)
        ("member", "launch a sweep", "NEW", True),
        ("member", "delete runs", "m", True),
        ("member", "delete runs", "a", False),
        ("member", "delete runs", None, False),  # nobody's run (sign-in was off): admins only
        ("admin", "delete runs", None, True),
        ("admin", "stop a sweep", "m", True),
    ],
)
def test_the_role_table(role, action, owner, allowed) -> None:
    from paretolab.auth import NEW

    user = User(role[0], role)
    call = lambda: authorize(user, action, NEW if owner == "NEW" else owner)  # noqa: E731
    if allowed:
        call()
    else:
        with pytest.raises(AccessDenied, match=f"cannot {action}"):
            call()


def test_an_oidc_user_gets_the_role_the_users_file_maps_their_email_to(tmp_path) -> None:
    path = tmp_path / "users.yaml"
    path.write_text("Carol@Example.com: {role: member}\ndave@example.com: admin\n")
    users = load_users(path)
    assert oidc_user(users, {"email": "carol@example.com"}) == User("carol@example.com", "member")
    assert oidc_user(users, {"email": "dave@example.com"}).role == "admin"
    assert oidc_user(users, {"email": "eve@example.com"}).role == "viewer"  # the default
    assert oidc_user({}, {"sub": "1234"}) == User("1234", "viewer")
    with pytest.raises(AccessDenied, match="no e-mail or subject"):
        oidc_user(users, {"is_logged_in": True})
    # An OIDC entry has no password: it can never sign in through the password form.
    assert sign_in(users, "dave@example.com", "") is None


def test_the_sign_in_mode_and_who_is_signed_in() -> None:
    assert sign_in_mode(None, False) == OFF
    assert sign_in_mode("users.yaml", False) == PASSWORD
    assert sign_in_mode("users.yaml", True) == OIDC == sign_in_mode(None, True)
    users = {"bob": {"role": "member", "password": "scrypt$x"}}
    assert signed_in_user(OFF, {}, None, {}) is None  # off: nobody, everything allowed
    with pytest.raises(AccessDenied, match="sign in first"):
        signed_in_user(PASSWORD, users, None, {})
    with pytest.raises(AccessDenied, match="sign in first"):
        signed_in_user(PASSWORD, users, "bob", {})  # a plain value is no signed-in user
    # The role is the file's now, not the one at sign-in; a removed user is signed out.
    assert signed_in_user(PASSWORD, users, User("bob", "admin"), {}) == User("bob", "member")
    with pytest.raises(AccessDenied, match="no longer a user"):
        signed_in_user(PASSWORD, {}, User("bob", "member"), {})
    with pytest.raises(AccessDenied, match="sign in first"):
        signed_in_user(OIDC, users, None, {"is_logged_in": False, "email": "x@y.z"})
    claims = {"is_logged_in": True, "email": "x@y.z"}
    assert signed_in_user(OIDC, users, None, claims) == User("x@y.z", "viewer")


def test_repeated_failed_sign_ins_lock_the_name_out_for_a_while() -> None:
    now = [0.0]
    throttle = SignInThrottle(limit=3, window=60.0, clock=lambda: now[0])
    for _ in range(3):
        throttle.check("alice")
        throttle.failed("alice")
    with pytest.raises(AccessDenied, match="too many failed sign-ins for alice: try again in 60 s"):
        throttle.check("alice")
    throttle.check("bob")  # other names are not affected
    now[0] = 61.0
    throttle.check("alice")  # the window has passed
    throttle.failed("alice")  # a failure long after the last one starts a new count
    throttle.check("alice")
    throttle.failed("alice")
    throttle.succeeded("alice")  # a success forgets the failures before it
    throttle.failed("alice")
    throttle.failed("alice")
    throttle.check("alice")
