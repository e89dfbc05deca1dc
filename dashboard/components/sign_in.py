"""The sign-in gate in front of every page (app.py passes through it before the navigation).

Sign-in off: nothing shows. Password mode: a user-name and password form. OIDC mode: a
button per identity provider (``st.login``). Once someone is signed in, the sidebar says
who, with which role, and has a sign-out button. The services check the role again on
every change; this only decides what is drawn.
"""

from __future__ import annotations

import streamlit as st
from streamlit.errors import StreamlitAuthError

from dashboard import services
from paretolab.auth import OFF, OIDC, User


def gate() -> User | None:
    """Draw the sign-in form and stop the page until someone is signed in.

    Returns:
        The signed-in user; None when sign-in is off (everyone may do everything).
    """
    try:
        mode = services.sign_in_mode()
        if mode == OFF:
            return None
        user = services.current_user()
    except services.AccessDenied as exc:
        _sign_in_page(mode, str(exc))
        st.stop()
    except services.UserError as exc:  # a broken users or secrets file: stay closed
        st.error(f"Sign-in is set up but cannot work: {exc}")
        st.stop()
    with st.sidebar:
        st.caption(f"Signed in as **{user.name}** · {user.role}")
        if st.button("Sign out", key="sign_out", icon=":material/logout:"):
            services.sign_out()
            if mode != OIDC:  # OIDC: st.logout already sends the browser away
                st.rerun()
    return user


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
            services.sign_in(name, password)
        except services.AccessDenied as exc:
            st.error(str(exc))
            return
        st.rerun()


def _oidc_buttons() -> None:
    providers = services.oidc_providers()
    for provider in providers or [None]:
        label = f"Sign in with {provider}" if provider else "Sign in"
        if st.button(label, key=f"sign_in_{provider or 'oidc'}", type="primary"):
            try:
                st.login(provider) if provider else st.login()
            except StreamlitAuthError as exc:  # e.g. Authlib missing, [auth] incomplete
                st.error(f"Signing in through the identity provider failed: {exc}")
