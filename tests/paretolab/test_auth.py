"""Users file, scrypt password hashes and role checks."""

from __future__ import annotations

import pytest

from paretolab.auth import (
    AccessDenied,
    User,
    authorize,
    hash_password,
    load_users,
    sign_in,
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
