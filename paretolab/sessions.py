"""Signed, expiring dashboard sessions: what keeps a password sign-in across page reloads.

A session token is ``v1.<user>.<expiry>.<generation>.<mac>``: the user name (base64url),
when it expires (seconds since the epoch), the user's session generation, and an
HMAC-SHA256 over those and a fingerprint of the user's password hash, keyed with a secret
kept in ``$PARETOLAB_HOME/session_secret`` (made on first use, readable by its owner only).

A token stops counting when it expires, when the user signs out or is added again or
removed with ``paretolab users`` (each bumps the user's generation, kept in
``$PARETOLAB_HOME/session_generations.json``), when the password changes by any means (the
fingerprint no longer matches), or when the secret file is replaced (every token at once).
Only the standard library; no torch.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import fcntl
import hashlib
import hmac
import json
import os
import secrets
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from paretolab import settings
from paretolab.errors import UserError
from paretolab.files import write_atomically

COOKIE_NAME = "paretolab_session"
MAX_AGE_S = 12 * 3600  # a working day: a token found on a shared machine the next day is dead
SECRET_FILE = "session_secret"
GENERATIONS_FILE = "session_generations.json"
_VERSION = "v1"


def make_token(
    name: str, password_hash: str, max_age_s: float = MAX_AGE_S, now: float | None = None
) -> str:
    """A session token for ``name``, valid for ``max_age_s`` seconds.

    Args:
        password_hash: the user's stored scrypt hash (the token dies when it changes).
    """
    expiry = int((time.time() if now is None else now) + max_age_s)
    user = base64.urlsafe_b64encode(name.encode("utf-8")).decode("ascii").rstrip("=")
    body = f"{_VERSION}.{user}.{expiry}.{generation(name)}"
    return f"{body}.{_mac(body, password_hash)}"


def verify_token(
    token: str, password_hash_of: Callable[[str], str | None], now: float | None = None
) -> str | None:
    """The user name a valid token was made for; None for anything else (malformed,
    forged, expired, signed out, password changed, user gone).

    Args:
        password_hash_of: the user's stored password hash now (None: no such user, or one
            without a password).
    """
    ok = isinstance(token, str) and len(token) < 1000 and token.isascii()
    parts = token.split(".") if ok else []
    if len(parts) != 5 or parts[0] != _VERSION:
        return None
    _, user, expiry, gen, mac = parts
    try:
        name = base64.urlsafe_b64decode(user + "=" * (-len(user) % 4)).decode("utf-8")
        expires, gen_number = int(expiry), int(gen)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None
    stored = password_hash_of(name)
    if stored is None or expires <= (time.time() if now is None else now):
        return None
    body = ".".join(parts[:4])
    if not hmac.compare_digest(mac, _mac(body, stored)) or gen_number != generation(name):
        return None
    return name


def end_sessions(name: str) -> None:
    """Make every token of ``name`` invalid (sign-out, password or role change, removal)."""
    with _generations_lock():
        counts = _read_generations()
        counts[name] = counts.get(name, 0) + 1
        write_atomically(_home() / GENERATIONS_FILE, json.dumps(counts, sort_keys=True))


def generation(name: str) -> int:
    """The user's current session generation (0 until their first sign-out)."""
    return _read_generations().get(name, 0)


def secret() -> bytes:
    """The server-side signing key, made on first use (32 random bytes, mode 0600).

    Raises:
        UserError: the secret file is readable by others, or cannot be read or made.
    """
    path = _home() / SECRET_FILE
    if not path.exists():
        _make_secret(path)
    try:
        if path.stat().st_mode & 0o077:
            raise UserError(f"{path} is readable by others: `chmod 600 {path}`, then restart")
        key = bytes.fromhex(path.read_text(encoding="ascii").strip())
    except (OSError, ValueError):
        raise UserError(f"cannot read {path}: delete it (every session ends) and retry") from None
    if len(key) < 32:  # a file half-written by a crash, or emptied
        raise UserError(f"{path} holds no usable key: delete it (every session ends) and retry")
    return key


def _make_secret(path: Path) -> None:
    """Write a new key whole, then link it into place: a server that signs someone in at
    the same moment reads either no file or a whole one, never a half-written one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f"{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    try:
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
            fh.flush()
            os.fsync(fh.fileno())
        os.link(temp, path)  # fails if another process made the key first: keep theirs
    except FileExistsError:
        pass
    except OSError as exc:
        raise UserError(f"cannot create {path}: {exc.strerror}") from None
    finally:
        temp.unlink(missing_ok=True)


def _mac(body: str, password_hash: str) -> str:
    # The password hash enters only as a digest: the token reveals nothing about it.
    fingerprint = hashlib.sha256(password_hash.encode("utf-8")).hexdigest()
    digest = hmac.new(secret(), f"{body}\0{fingerprint}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def _home() -> Path:
    home = settings.home_dir()
    home.mkdir(parents=True, exist_ok=True)
    return home


def _read_generations() -> dict[str, int]:
    path = _home() / GENERATIONS_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return {str(k): int(v) for k, v in data.items()}
    except FileNotFoundError:
        return {}
    except (OSError, ValueError, TypeError, AttributeError):
        # Unreadable counts could revive signed-out tokens: refuse every session instead.
        raise UserError(
            f"cannot read {path}: delete it and {SECRET_FILE} beside it (every session ends)"
        ) from None


@contextlib.contextmanager
def _generations_lock() -> Iterator[None]:
    """An exclusive lock beside the generations file, so that two servers (or a server and
    ``paretolab users``) bumping at once both count."""
    fd = os.open(_home() / f".{GENERATIONS_FILE}.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock
