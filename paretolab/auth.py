"""Dashboard users and roles: a users file with scrypt-hashed passwords, and who may do what.

The users file (``PARETOLAB_USERS``, YAML) maps a user name to its role and password hash::

    alice: {role: admin, password: "scrypt$16384$8$1$<salt hex>$<hash hex>"}
    bob: {role: member, password: "scrypt$…"}

``paretolab users add NAME --role member`` asks for the password and prints the line to
add. Roles: a *viewer* only looks; a *member* launches runs and cancels or deletes their
own; an *admin* may do anything to any run. Only the standard library hashes (scrypt), so
no new dependency; comparisons are constant-time.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import dataclass
from pathlib import Path

import yaml

from paretolab.errors import UserError

USERS_ENV = "PARETOLAB_USERS"
ROLES = ("viewer", "member", "admin")
# scrypt cost: n=2^14, r=8, p=1 (the parameters Python's docs and OWASP give for
# interactive logins; ~16 MB and tens of milliseconds per check).
_N, _R, _P = 2**14, 8, 1


class AccessDenied(UserError):
    """The signed-in user's role does not allow the action."""


@dataclass(frozen=True)
class User:
    """A signed-in dashboard user."""

    name: str
    role: str


def hash_password(password: str, salt: bytes | None = None) -> str:
    """The password's scrypt hash, as ``scrypt$n$r$p$salt$hash`` (hex)."""
    salt = salt or os.urandom(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    return f"scrypt${_N}${_R}${_P}${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    """True when ``password`` matches the stored hash (False for a malformed hash)."""
    try:
        kind, n, r, p, salt, digest = stored.split("$")
        if kind != "scrypt":
            return False
        candidate = hashlib.scrypt(
            password.encode("utf-8"),
            salt=bytes.fromhex(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(digest) // 2,
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(candidate.hex(), digest)


def load_users(path: str | Path) -> dict[str, dict[str, str]]:
    """Read and check a users file.

    Raises:
        UserError: the file is missing or malformed, or a user has an unknown role or a
            password that is not a scrypt hash (a plain password is refused, never used).
    """
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise UserError(f"cannot read the users file {path}: {exc.__class__.__name__}") from None
    if not isinstance(data, dict):
        raise UserError(f"{path}: expected a mapping of user name to {{role, password}}")
    for name, entry in data.items():
        if not isinstance(entry, dict) or entry.get("role") not in ROLES:
            raise UserError(f"{path}: user {name!r} needs a role, one of {', '.join(ROLES)}")
        if not str(entry.get("password", "")).startswith("scrypt$"):
            raise UserError(
                f"{path}: user {name!r} has no scrypt password hash; "
                "make one with `paretolab users add`"
            )
    return data


def sign_in(users: dict[str, dict[str, str]], name: str, password: str) -> User | None:
    """The user when name and password match, else None (same answer for both mistakes)."""
    entry = users.get(name)
    if entry is None:
        verify_password(password, hash_password("timing"))  # as slow as a real check
        return None
    return User(name, entry["role"]) if verify_password(password, entry["password"]) else None


def authorize(user: User | None, action: str, owner: str | None = None) -> None:
    """Raise ``AccessDenied`` unless ``user`` may do ``action``.

    Args:
        user: the signed-in user; None when authentication is off (everything allowed).
        action: what is asked, e.g. "launch a run", "cancel a run".
        owner: the user who launched the run acted on; None for actions on no run.
    """
    if user is None or user.role == "admin":
        return
    if user.role == "viewer":
        raise AccessDenied(f"{user.name} is a viewer and cannot {action}")
    if owner is not None and owner != user.name:
        raise AccessDenied(f"{user.name} cannot {action}: it belongs to {owner}")
