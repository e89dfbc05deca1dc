"""Dashboard users and roles: a users file with scrypt-hashed passwords, and who may do what.

The users file (``PARETOLAB_USERS``, YAML) maps a user name to its role and password hash::

    alice: {role: admin, password: "scrypt$16384$8$1$<salt hex>$<hash hex>"}
    bob: {role: member, password: "scrypt$…"}
    carol@example.com: {role: member}     # signs in through OIDC (st.login): no password

``paretolab users add NAME --role member`` asks for the password and writes the entry.
Roles: a *viewer* only looks; a *member* launches runs and sweeps and changes only their
own; an *admin* may do anything to anything. Only the standard library hashes (scrypt), so
no new dependency; comparisons are constant-time.

Sign-in has three modes (``sign_in_mode``): off (no users file, no OIDC: everyone may do
everything, as before), password (the users file), OIDC (an ``[auth]`` section in
``.streamlit/secrets.toml``; the users file, if any, maps e-mail → role, default viewer).
"""

from __future__ import annotations

import enum
import functools
import getpass
import hashlib
import hmac
import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from paretolab import settings
from paretolab.errors import UserError

USERS_ENV = settings.USERS_ENV
ROLES = ("viewer", "member", "admin")
OFF, PASSWORD, OIDC = "off", "password", "oidc"
OIDC_DEFAULT_ROLE = "viewer"  # an OIDC user the users file does not name only looks
# scrypt cost: n=2^14, r=8, p=1 (the parameters Python's docs and OWASP give for
# interactive logins; ~16 MB and tens of milliseconds per check).
_N, _R, _P = 2**14, 8, 1

Users = dict[str, dict[str, str]]
"""A users file's entries: name → {"role": …, "password": scrypt hash (absent for OIDC)}."""


class AccessDenied(UserError):
    """The signed-in user's role does not allow the action (or nobody is signed in)."""


class _Nothing(enum.Enum):
    NEW = "new"


NEW = _Nothing.NEW
"""``owner`` of an action that makes something new (launch a run or a sweep)."""
Owner = str | None | _Nothing
"""Who owns what an action acts on: a name, None (nobody recorded) or ``NEW``."""


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


def load_users(path: str | Path) -> Users:
    """Read and check a users file. An entry is ``{role, password}``, ``{role}`` (an OIDC
    user: no password, so it can never sign in with one), or just the role.

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
    users: Users = {}
    for name, entry in data.items():
        entry = {"role": entry} if isinstance(entry, str) else entry
        if not isinstance(entry, dict) or entry.get("role") not in ROLES:
            raise UserError(f"{path}: user {name!r} needs a role, one of {', '.join(ROLES)}")
        if "password" in entry and not str(entry["password"]).startswith("scrypt$"):
            raise UserError(
                f"{path}: user {name!r} has no scrypt password hash; "
                "make one with `paretolab users add`"
            )
        users[str(name)] = {k: str(v) for k, v in entry.items() if k in ("role", "password")}
    return users


def sign_in(users: Users, name: str, password: str) -> User | None:
    """The user when name and password match, else None (same answer, in about the same
    time, for an unknown name, a wrong password and an entry without a password)."""
    entry = users.get(name)
    if entry is None or "password" not in entry:
        verify_password(password, _dummy_hash())  # as slow as a real check
        return None
    return User(name, entry["role"]) if verify_password(password, entry["password"]) else None


@functools.cache
def _dummy_hash() -> str:
    return hash_password("timing")  # made once, when first needed (imports stay fast)


def oidc_user(users: Users, claims: Mapping[str, Any]) -> User:
    """The OIDC user that ``claims`` (``st.user``) describe: named by e-mail (``sub`` when
    the provider sends none), with the users file's role for that name, else viewer.
    E-mail addresses match case-insensitively.

    Raises:
        AccessDenied: the identity has neither an e-mail nor a subject.
    """
    name = str(claims.get("email") or claims.get("sub") or "").strip()
    if not name:
        raise AccessDenied("the identity provider sent no e-mail or subject: cannot sign in")
    roles = {key.lower(): entry["role"] for key, entry in users.items()}
    return User(name, roles.get(name.lower(), OIDC_DEFAULT_ROLE))


def os_user() -> str | None:
    """The operating-system user running this process: the owner of a run launched from
    the command line without ``--owner`` (None when the system cannot say)."""
    try:
        return getpass.getuser()
    except (OSError, KeyError, ImportError):  # no login name, no passwd entry
        return None


def sign_in_mode(users_path: str | None, oidc_configured: bool) -> str:
    """How the dashboard signs people in: ``oidc`` when secrets.toml has an ``[auth]``
    section, else ``password`` when a users file is set, else ``off``."""
    if oidc_configured:
        return OIDC
    return PASSWORD if users_path else OFF


def signed_in_user(
    mode: str, users: Users, session_user: object, claims: Mapping[str, Any]
) -> User | None:
    """Who is asking. None when sign-in is off (everyone may do everything).

    Args:
        mode: ``sign_in_mode``'s answer.
        users: the users file's entries (read again per request, so a changed role or a
            removed user counts at once).
        session_user: what the password form stored in the session (a ``User`` or nothing).
        claims: the OIDC identity (``st.user``); ``is_logged_in`` says whether there is one.

    Raises:
        AccessDenied: nobody is signed in, or the signed-in user left the users file.
    """
    if mode == OFF:
        return None
    if mode == OIDC:
        if not claims.get("is_logged_in"):
            raise AccessDenied("sign in first")
        return oidc_user(users, claims)
    # Only a User object the sign-in form stored counts (a browser can send widget values,
    # never Python objects).
    if not isinstance(session_user, User):
        raise AccessDenied("sign in first")
    entry = users.get(session_user.name)
    if entry is None:
        raise AccessDenied(f"{session_user.name} is no longer a user here: sign in again")
    return User(session_user.name, entry["role"])


def authorize(user: User | None, action: str, owner: Owner = NEW) -> None:
    """Raise ``AccessDenied`` unless ``user`` may do ``action``.

    Args:
        user: the signed-in user; None when authentication is off (everything allowed).
        action: what is asked, e.g. "launch a run", "cancel a run".
        owner: who launched the run or sweep acted on (None: nobody recorded, so only an
            admin may change it); ``NEW`` (default) for an action that makes something new.
    """
    if user is None or user.role == "admin":
        return
    if user.role == "viewer":
        raise AccessDenied(f"{user.name} is a viewer and cannot {action} (ask an admin)")
    if owner is NEW or owner == user.name:
        return
    if owner is None:
        raise AccessDenied(f"{user.name} cannot {action}: it has no owner, only an admin can")
    raise AccessDenied(f"{user.name} cannot {action}: it belongs to {owner}")


def authorize_admin(user: User | None, action: str) -> None:
    """Raise ``AccessDenied`` unless ``user`` is an admin (None: sign-in off, allowed):
    for what only admins change, such as budgets."""
    if user is not None and user.role != "admin":
        raise AccessDenied(f"{user.name} is a {user.role} and cannot {action} (ask an admin)")


class SignInThrottle:
    """Slows password guessing: after ``limit`` failed sign-ins of one name, each within
    ``window`` seconds of the one before, that name is refused until ``window`` seconds
    after its last failure (what Grafana and most web apps do). One per server process."""

    def __init__(
        self, limit: int = 5, window: float = 300.0, clock: Callable[[], float] = time.monotonic
    ):
        self.limit, self.window, self.clock = limit, window, clock
        self._failures: dict[str, tuple[int, float]] = {}  # name → (count, last failure)
        self._lock = threading.Lock()

    def check(self, name: str) -> None:
        """Raise ``AccessDenied`` while ``name`` is locked out."""
        with self._lock:
            count, last = self._failures.get(name, (0, 0.0))
            wait = last + self.window - self.clock()
        if count >= self.limit and wait > 0:
            raise AccessDenied(
                f"too many failed sign-ins for {name}: try again in {wait / 60:.0f} min"
                if wait >= 90
                else f"too many failed sign-ins for {name}: try again in {wait:.0f} s"
            )

    def failed(self, name: str) -> None:
        """Count a failed sign-in of ``name``."""
        with self._lock:
            count, last = self._failures.get(name, (0, 0.0))
            now = self.clock()
            self._failures[name] = (count + 1 if now - last < self.window else 1, now)

    def succeeded(self, name: str) -> None:
        """Forget ``name``'s failures."""
        with self._lock:
            self._failures.pop(name, None)
