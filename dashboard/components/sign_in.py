"""The sign-in gate in front of every page (app.py passes through it before running a page).

Sign-in off: nothing shows. Password mode: a user-name and password form; a signed session
cookie (``paretolab.sessions``) keeps the sign-in across reloads until it expires or the
user signs out. OIDC mode: a button per identity provider (``st.login``). The page asked
for (``/run?run=2``) is remembered and opened after sign-in. Once someone is signed in, the
sidebar says who, with which role, and has a sign-out button. The services check the role
again on every change; this only decides what is drawn.
"""

from __future__ import annotations

import json

import streamlit as st
from streamlit.errors import StreamlitAuthError
from streamlit.navigation.page import StreamlitPage

from dashboard.services import access
from paretolab.auth import OFF, OIDC, PASSWORD, AccessDenied, User
from paretolab.errors import UserError
from paretolab.sessions import COOKIE_NAME, MAX_AGE_S

TARGET = "paretolab_sign_in_target"  # st.session_state: (url_path, query params) asked for


def signed_in() -> bool:
    """True when sign-in is off or someone is signed in (from this session or its cookie):
    the pages may be listed. Draws nothing."""
    try:
        mode = access.sign_in_mode()
        if mode == OFF:
            return True
        _current_user(mode)
    except UserError:  # nobody signed in, or a broken users file: gate() says
        return False
    return True


def gate(navigation: StreamlitPage, pages: list[StreamlitPage]) -> User | None:
    """Draw the sign-in form and stop the page until someone is signed in; then open the
    page that was asked for before signing in.

    Args:
        navigation: the page the browser asked for (``st.navigation``'s answer).
        pages: every page of the navigation, to find the remembered one again.

    Returns:
        The signed-in user; None when sign-in is off (everyone may do everything).
    """
    try:
        mode = access.sign_in_mode()
        if mode == OFF:
            return None
        user = _current_user(mode)
    except AccessDenied as exc:
        # The first page asked for wins: later reruns of the form may be on the default page.
        st.session_state.setdefault(TARGET, (navigation.url_path, dict(st.query_params)))
        _write_cookie()
        _sign_in_page(mode, str(exc))
        st.stop()
    except UserError as exc:  # a broken users or secrets file: stay closed
        st.error(f"Sign-in is set up but cannot work: {exc}")
        st.stop()
    _write_cookie()
    _open_target(navigation, pages)
    with st.sidebar:
        st.caption(f"Signed in as **{user.name}** · {user.role}")
        if st.button("Sign out", key="sign_out", icon=":material/logout:"):
            access.sign_out()
            if mode != OIDC:  # OIDC: st.logout already sends the browser away
                st.rerun()
    return user


def browser_cookie() -> str | None:
    """The session cookie the browser sent when it opened this session."""
    return st.context.cookies.get(COOKIE_NAME)


def _current_user(mode: str) -> User:
    if mode == PASSWORD:
        access.check_session()
        try:
            return access.current_user()
        except AccessDenied:
            if access.resume_session(browser_cookie()) is None:
                raise
    return access.current_user()


def _write_cookie() -> None:
    """Put a new token into the session cookie, or remove it (JavaScript: Streamlit cannot
    set a cookie from Python). SameSite=Strict: no other site's page sends it along."""
    value = access.pending_cookie()
    if value is None:
        return
    secure = "; Secure" if (st.context.url or "").startswith("https:") else ""
    cookie = f"{COOKIE_NAME}={value}; Path=/; Max-Age={MAX_AGE_S if value else 0}"
    cookie += f"; SameSite=Strict{secure}"
    # The token is base64url and digits only, so json.dumps makes a safe JS string.
    st.html(
        f"<script>document.cookie = {json.dumps(cookie)};</script>", unsafe_allow_javascript=True
    )


def _open_target(navigation: StreamlitPage, pages: list[StreamlitPage]) -> None:
    target = st.session_state.pop(TARGET, None)
    if target is None or (navigation.url_path, dict(st.query_params)) == tuple(target):
        return
    url_path, query = target
    page = next((p for p in pages if p.url_path == url_path), None)
    if page is not None:  # e.g. no Launch page for a viewer: stay where we are
        st.switch_page(page, query_params=query)


def _sign_in_page(mode: str, reason: str) -> None:
    st.title("Sign in to paretolab")
    if reason != "sign in first":  # e.g. removed from the users file meanwhile
        st.warning(reason)
    if mode == OIDC:
        _oidc_buttons()
    else:
        _password_form()


def _password_form() -> None:
    # Cleared on submit: the password does not stay in the session's widget state.
    with st.form("sign_in", clear_on_submit=True):
        name = st.text_input("User name", key="sign_in_name", autocomplete="username")
        password = st.text_input(
            "Password", type="password", key="sign_in_password", autocomplete="current-password"
        )
        submitted = st.form_submit_button("Sign in", type="primary")
    if submitted:
        try:
            access.sign_in(name, password)
        except AccessDenied as exc:
            st.error(str(exc))
            return
        st.rerun()


def _oidc_buttons() -> None:
    providers = access.oidc_providers()
    for provider in providers or [None]:
        label = f"Sign in with {provider}" if provider else "Sign in"
        if st.button(label, key=f"sign_in_{provider or 'oidc'}", type="primary"):
            try:
                st.login(provider) if provider else st.login()
            except StreamlitAuthError as exc:  # e.g. Authlib missing, [auth] incomplete
                st.error(f"Signing in through the identity provider failed: {exc}")
