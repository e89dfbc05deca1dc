"""Signed session tokens: valid only as made, until expiry, sign-out or a password change."""

from __future__ import annotations

import stat
import threading

import pytest

from paretolab import sessions
from paretolab.errors import UserError

HASHES = {"ada": "scrypt$16384$8$1$00$aa", "bob": "scrypt$16384$8$1$01$bb"}


def hash_of(name: str) -> str | None:
    return HASHES.get(name)


def test_a_token_names_its_user_until_it_expires(home) -> None:
    token = sessions.make_token("ada", HASHES["ada"], max_age_s=60, now=1000.0)
    assert sessions.verify_token(token, hash_of, now=1059.0) == "ada"
    assert sessions.verify_token(token, hash_of, now=1060.0) is None


def tampered(token: str) -> list[str]:
    version, user, expiry, gen, mac = token.split(".")
    bob = "Ym9i"  # base64url("bob")
    flipped = mac[:-2] + ("A" if mac[-2] != "A" else "B") + mac[-1]
    return [
        ".".join([version, bob, expiry, gen, mac]),  # another user
        ".".join([version, user, str(int(expiry) + 10**6), gen, mac]),  # a later expiry
        ".".join([version, user, expiry, str(int(gen) + 1), mac]),  # another generation
        ".".join([version, user, expiry, gen, flipped]),  # a forged MAC
        ".".join(["v2", user, expiry, gen, mac]),
    ]


def test_a_changed_token_is_refused(home) -> None:
    token = sessions.make_token("ada", HASHES["ada"])
    assert sessions.verify_token(token, hash_of) == "ada"
    assert [sessions.verify_token(t, hash_of) for t in tampered(token)] == [None] * 5


@pytest.mark.parametrize(
    "token",
    [
        "",
        ".",
        "v1....",
        "v1.YWRh.1.0.x",
        "v1.!!!.9999999999.0.x",
        "v1.YWRh.x.0.x",
        "é" * 10,
        "v1." + "A" * 2000,
        None,
        42,
    ],
)
def test_garbage_is_refused(home, token) -> None:
    assert sessions.verify_token(token, hash_of) is None


def test_sign_out_ends_every_token_of_that_user_only(home) -> None:
    ada, bob = (sessions.make_token(n, HASHES[n]) for n in ("ada", "bob"))
    sessions.end_sessions("ada")
    assert sessions.verify_token(ada, hash_of) is None
    assert sessions.verify_token(bob, hash_of) == "bob"
    assert sessions.verify_token(sessions.make_token("ada", HASHES["ada"]), hash_of) == "ada"


def test_a_password_change_or_removal_ends_the_token(home) -> None:
    token = sessions.make_token("ada", HASHES["ada"])
    assert sessions.verify_token(token, lambda n: "scrypt$new") is None
    assert sessions.verify_token(token, lambda n: None) is None


def test_the_secret_is_private_kept_and_replacing_it_ends_every_token(home) -> None:
    token = sessions.make_token("ada", HASHES["ada"])
    path = home / sessions.SECRET_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert sessions.secret() == sessions.secret()
    path.unlink()
    assert sessions.verify_token(token, hash_of) is None  # a new secret was made


def test_a_secret_others_can_read_is_refused(home) -> None:
    sessions.secret()
    (home / sessions.SECRET_FILE).chmod(0o644)
    with pytest.raises(UserError, match="chmod 600"):
        sessions.make_token("ada", HASHES["ada"])


def test_unreadable_generations_refuse_rather_than_revive(home) -> None:
    token = sessions.make_token("ada", HASHES["ada"])
    (home / sessions.GENERATIONS_FILE).write_text("[not a mapping")
    with pytest.raises(UserError, match="cannot read"):
        sessions.verify_token(token, hash_of)


def test_concurrent_sign_outs_all_count(home) -> None:
    threads = [threading.Thread(target=sessions.end_sessions, args=("ada",)) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sessions.generation("ada") == 20


def test_servers_making_the_secret_at_once_all_read_one_whole_key(home) -> None:
    keys, errors = [], []
    start = threading.Barrier(8)

    def sign() -> None:
        start.wait()
        try:
            keys.append(sessions.secret())
        except Exception as exc:  # a half-written file read as "no usable key"
            errors.append(exc)

    threads = [threading.Thread(target=sign) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and len(keys) == 8 and len(set(keys)) == 1
    assert [p.name for p in home.iterdir() if p.name.startswith("session_secret")] == [
        "session_secret"
    ]
