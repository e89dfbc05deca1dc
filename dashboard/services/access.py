"""Who may change what: the one guard every service that changes something calls first.

Two things refuse a change, here on the server (a hidden button is not a guard):

- a read-only demo (``PARETOLAB_DEMO=1``) refuses every change to everyone
  (``DemoModeError``);
- with sign-in on — a users file in ``PARETOLAB_USERS``, or an ``[auth]`` section in
  ``.streamlit/secrets.toml`` (OIDC through ``st.login``) — the signed-in user's role
  (``paretolab.auth``): a viewer changes nothing, a member launches and changes their own
  runs and sweeps, an admin anything (``AccessDenied``).

With neither, everything is allowed, as before sign-in existed.
"""

from __future__ import annotations

import time
from pathlib import Path

import streamlit as st

from paretolab import auth, sessions, settings
from paretolab.auth import NEW, AccessDenied, User
from paretolab.errors import UserError

SESSION_USER = "paretolab_user"  # st.session_state key of the password-signed-in User
SESSION_TOKEN = "paretolab_session_token"  # …and of its signed token (paretolab.sessions)
COOKIE_PENDING = "paretolab_cookie_pending"  # a token for the page to put in the cookie; "": clear
FAILED_SIGN_IN_DELAY_S = 1.0  # every wrong password costs the guesser this long
_throttle = auth.SignInThrottle()  # one per server process: shared by all browser sessions


class DemoModeError(UserError):
    """An action that changes something, asked of a read-only (demo) dashboard."""


def demo_mode() -> bool:
    """True when this dashboard is read-only."""
    return settings.demo_mode()


def sign_in_mode() -> str:
    """``off``, ``password`` or ``oidc`` (see ``paretolab.auth.sign_in_mode``)."""
    return auth.sign_in_mode(settings.users_file(), _oidc_configured())


def _oidc_configured() -> bool:
    if st.secrets.load_if_toml_exists():
        return "auth" in st.secrets
    # A secrets file that exists but cannot be read must not leave the dashboard open.
    broken = [p for p in st.get_option("secrets.files") if Path(p).is_file()]
    if broken:
        raise UserError(f"cannot read {broken[0]}: fix its TOML (sign-in may be set there)")
    return False


def users() -> auth.Users:
    """The users file's entries, read now (none when OIDC runs without a users file).

    Raises:
        UserError: the users file is set but missing or malformed.
    """
    path = settings.users_file()
    return auth.load_users(path) if path else {}


def current_user() -> User | None:
    """The signed-in user; None when sign-in is off (everything allowed).

    Raises:
        AccessDenied: sign-in is on and nobody is signed in.
    """
    mode = sign_in_mode()
    claims = st.user.to_dict() if mode == auth.OIDC else {}
    return auth.signed_in_user(mode, users(), st.session_state.get(SESSION_USER), claims)


def require(action: str, owner: auth.Owner = NEW) -> User | None:
    """Raise unless the current user may do ``action``; return that user (None: sign-in off).

    Args:
        action: what was asked, for the message (e.g. "launch a run").
        owner: who launched the run or sweep acted on (see ``paretolab.auth.authorize``).

    Raises:
        DemoModeError: the dashboard is a read-only demo.
        AccessDenied: nobody is signed in, or the user's role does not allow it.
    """
    _refuse_in_demo(action)
    user = current_user()
    auth.authorize(user, action, owner)
    return user


def require_admin(action: str) -> User | None:
    """Raise unless the current user is an admin (or sign-in is off); return that user.

    Raises:
        DemoModeError: the dashboard is a read-only demo.
        AccessDenied: nobody is signed in, or the user is not an admin.
    """
    _refuse_in_demo(action)
    user = current_user()
    auth.authorize_admin(user, action)
    return user


def _refuse_in_demo(action: str) -> None:
    if settings.demo_mode():
        raise DemoModeError(
            f"this dashboard is a read-only demo ({settings.DEMO_ENV}=1): it cannot {action}"
        )


def permitted(action: str, owner: auth.Owner = NEW) -> bool:
    """True when ``require`` would allow it: pages show only the buttons that work."""
    try:
        require(action, owner)
    except UserError:
        return False
    return True


def is_admin() -> bool:
    """True when ``require_admin`` would allow it: only admins see budget controls."""
    try:
        require_admin("change budgets")
    except UserError:
        return False
    return True


def read_only() -> bool:
    """True when nothing can be changed here: a read-only demo, a viewer, nobody signed in."""
    return not permitted("change anything")


def owner_name(user: User | None) -> str | None:
    """What a launch records as its owner: the signed-in user's name; with sign-in off, the
    OS user running the dashboard, as ``paretolab train`` records (None only when the
    system cannot say)."""
    return user.name if user else auth.os_user()


def sign_in(name: str, password: str) -> User:
    """Check a name and password against the users file; remember the user in this
    browser session.

    Raises:
        AccessDenied: wrong name or password (after a delay), or too many failures.
    """
    name = name.strip()
    _throttle.check(name)
    user = auth.sign_in(users(), name, password)
    if user is None:
        _throttle.failed(name)
        time.sleep(FAILED_SIGN_IN_DELAY_S)
        raise AccessDenied("wrong user name or password")
    _throttle.succeeded(name)
    token = sessions.make_token(name, users()[name]["password"])
    st.session_state.update({SESSION_USER: user, SESSION_TOKEN: token, COOKIE_PENDING: token})
    return user


def resume_session(token: str | None) -> User | None:
    """Sign this browser session in from its session cookie, when the token in it is valid
    (password sign-in only: OIDC keeps its own cookie). None when it is not.

    Raises:
        UserError: the users file or the session files cannot be read.
    """
    if not token or sign_in_mode() != auth.PASSWORD:
        return None
    entries = users()
    name = _verified_user(token, entries)
    if name is None:
        st.session_state[COOKIE_PENDING] = ""  # a dead cookie: the page removes it
        return None
    user = User(name, entries[name]["role"])
    st.session_state.update({SESSION_USER: user, SESSION_TOKEN: token})
    return user


def check_session() -> None:
    """Sign this browser session out when its token stopped counting: expired, signed out
    in another tab, the password changed or the user removed (``paretolab.sessions``)."""
    token = st.session_state.get(SESSION_TOKEN)
    if token is None:
        return
    if _verified_user(token, users()) is None:
        for key in (SESSION_USER, SESSION_TOKEN):
            st.session_state.pop(key, None)
        st.session_state[COOKIE_PENDING] = ""


def _verified_user(token: str, entries: dict) -> str | None:
    """The user ``token`` signs in, checked against the users file's ``entries``."""
    return sessions.verify_token(token, lambda n: entries.get(n, {}).get("password"))


def pending_cookie() -> str | None:
    """The session cookie's new value for the page to write (once): a token, "" to remove
    it, None for no change."""
    return st.session_state.pop(COOKIE_PENDING, None)


def sign_out() -> None:
    """Forget the signed-in user. Password sign-in: end every session token of the user
    (this browser's cookie and any other) and remove the cookie. OIDC: remove the identity
    cookie and start a new session."""
    user = st.session_state.pop(SESSION_USER, None)
    st.session_state.pop(SESSION_TOKEN, None)
    if sign_in_mode() == auth.OIDC:
        st.logout()
        return
    if isinstance(user, User):
        sessions.end_sessions(user.name)
    st.session_state[COOKIE_PENDING] = ""


def oidc_providers() -> list[str]:
    """The named providers of secrets.toml's ``[auth]`` (``[auth.google]`` …); empty when
    ``[auth]`` itself holds the one provider (``st.login()`` without a name)."""
    section = st.secrets.get("auth", {})
    return [key for key, value in section.items() if hasattr(value, "items")]
