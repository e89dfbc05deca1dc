"""One way for a page to show what an action did: an action that changed the store reruns
the whole page, so everything that shows the change is drawn again from the store.

Why: a page draws top to bottom, and an action's button often sits below (or, inside a live
fragment, beside) what shows its result: the Studies tab is drawn before the New sweep tab
launches a sweep, the Run picker before the fragment whose Cancel button changes the run.
Redrawing only the fragment, or nothing, left those parts stale until a reload. The note
that confirms the action survives the rerun and shows once, at the top of the page.
"""

from __future__ import annotations

from typing import NoReturn

import streamlit as st

_NOTES = "store_changed_notes"


def store_changed(note: str) -> NoReturn:
    """The store changed: rerun the whole page, then show ``note`` once (a success line)."""
    st.session_state.setdefault(_NOTES, []).append(note)
    st.rerun(scope="app")


def rerun_if_changed(seen: object, now: object) -> None:
    """For a live fragment: rerun the whole page when what it watches (``now``) differs from
    what the page was drawn with (``seen``) — e.g. a run that ended since the page drew."""
    if seen != now:
        st.rerun(scope="app")


def show_notes() -> None:
    """Show the notes of actions since the last run of the page (call once, before the
    page's own content)."""
    for note in st.session_state.pop(_NOTES, []):
        st.success(note)
