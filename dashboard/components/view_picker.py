"""Saved views on a page: save what the URL holds under a name, open a saved one."""

from __future__ import annotations

import streamlit as st

from dashboard.components.store_changed import store_changed
from dashboard.services import saved_views
from paretolab.errors import UserError


def view_picker(page: str, script: str) -> None:
    """A "Views" popover for the page at URL path ``page`` (its file: ``script``)."""
    with st.popover("Views", help="Save this view under a name, or open a saved one"):
        saved = {v.name: v for v in saved_views.views(page)}
        if saved:
            name = st.selectbox("Saved views", list(saved), key=f"views_{page}_pick")
            o1, o2 = st.columns(2)
            if o1.button("Open", key=f"views_{page}_open"):
                _forget_widgets()
                st.switch_page(script, query_params=saved[name].query)
            if o2.button("Delete", key=f"views_{page}_delete"):
                _act(lambda: saved_views.delete(page, name), f"view {name} deleted")
        else:
            st.caption("No saved views yet.")
        new = st.text_input("Save as", key=f"views_{page}_name", placeholder="e.g. best bbc runs")
        if st.button("Save view", key=f"views_{page}_save", disabled=not new.strip()):
            query = {k: st.query_params.get_all(k) for k in st.query_params}
            _act(lambda: saved_views.save(page, new, query), f"view {new.strip()} saved")


def _act(action, note: str) -> None:
    try:
        action()
    except UserError as exc:  # a viewer, the demo, a bad name
        st.error(str(exc))
    else:
        store_changed(note)


def _forget_widgets() -> None:
    """Let the opened view's URL set the widgets again (``url_state.restore`` reads the URL
    once per widget and session)."""
    st.session_state.pop("_url_restored", None)
    for key in [k for k in st.session_state if k.startswith(("runs_", "compare_"))]:
        del st.session_state[key]
