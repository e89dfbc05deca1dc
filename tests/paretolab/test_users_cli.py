"""`paretolab users add|remove|list`: the users file the dashboard signs people in with."""

from __future__ import annotations

import io
import stat

import pytest

from paretolab import sessions
from paretolab.auth import USERS_ENV, User, load_users, sign_in
from paretolab.cli import main


def add(monkeypatch, *args: str, password: str = "a long pass") -> int:
    monkeypatch.setattr("sys.stdin", io.StringIO(password + "\n"))
    return main(["users", "add", *args, "--password-stdin"])


def test_add_change_list_and_remove_users(tmp_path, home, monkeypatch, capsys) -> None:
    path = tmp_path / "users.yaml"
    monkeypatch.setenv(USERS_ENV, str(path))
    assert add(monkeypatch, "alice", "--role", "admin") == 0
    assert add(monkeypatch, "bob") == 0  # member by default
    assert main(["users", "add", "carol@example.com", "--role", "member", "--oidc"]) == 0
    users = load_users(path)
    assert sign_in(users, "alice", "a long pass") == User("alice", "admin")
    assert sign_in(users, "bob", "a long pass") == User("bob", "member")
    assert "a long pass" not in path.read_text()  # only the hash is written
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # readable by its owner only

    assert add(monkeypatch, "bob", "--role", "viewer", password="another one") == 0
    assert sign_in(load_users(path), "bob", "another one") == User("bob", "viewer")
    assert "changed bob (viewer; signs in with a password)" in capsys.readouterr().out

    assert main(["users", "list"]) == 0
    listed = capsys.readouterr().out
    assert listed.splitlines() == [
        "alice\tadmin\tpassword",
        "bob\tviewer\tpassword",
        "carol@example.com\tmember\toidc",
    ]
    assert main(["users", "remove", "bob"]) == 0
    assert list(load_users(path)) == ["alice", "carol@example.com"]
    # Changing bob, then removing him, each ended his signed-in sessions; alice kept hers.
    assert (sessions.generation("bob"), sessions.generation("alice")) == (2, 0)


@pytest.mark.parametrize(
    "args, password, message",
    [
        (["bob"], "short", "at least 8 characters"),
        (["two words"], "a long pass", "no spaces"),
    ],
)
def test_bad_users_input_is_one_line_and_changes_nothing(
    tmp_path, monkeypatch, capsys, args, password, message
) -> None:
    path = tmp_path / "users.yaml"
    monkeypatch.setenv(USERS_ENV, str(path))
    assert add(monkeypatch, *args, password=password) == 2
    assert message in capsys.readouterr().err
    assert not path.exists()


def test_the_users_file_must_be_named(monkeypatch, capsys) -> None:
    monkeypatch.delenv(USERS_ENV, raising=False)
    assert main(["users", "list"]) == 2
    assert f"--file PATH, or set {USERS_ENV}" in capsys.readouterr().err
    assert main(["users", "remove", "nobody", "--file", "/nonexistent/users.yaml"]) == 2


def test_the_password_is_asked_twice_and_must_match(tmp_path, monkeypatch, capsys) -> None:
    path = tmp_path / "users.yaml"
    answers = iter(["first password", "second password"])
    monkeypatch.setattr("getpass.getpass", lambda prompt: next(answers))
    assert main(["users", "add", "bob", "--file", str(path)]) == 2
    assert "the two passwords differ: nothing changed" in capsys.readouterr().err
    assert not path.exists()


def test_control_characters_in_a_users_file_are_escaped(tmp_path, home, monkeypatch, capsys):
    path = tmp_path / "users.yaml"
    path.write_text('"eve\\e]0;pwned\\a": {role: viewer}\n')  # YAML escapes: ESC, BEL
    monkeypatch.setenv(USERS_ENV, str(path))
    assert main(["users", "list"]) == 0
    shown = capsys.readouterr().out
    assert "\x1b" not in shown and "\x07" not in shown
    assert shown.splitlines() == ["eve\\x1b]0;pwned\\x07\tviewer\toidc"]
