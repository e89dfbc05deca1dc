"""The store and the executor, one of each per dashboard server."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from paretolab import executor, settings
from paretolab.store import RunStore

REPO = Path(__file__).resolve().parents[2]


@st.cache_resource
def get_store() -> RunStore:
    """One store (and connection pool) per server process."""
    return RunStore()


def store() -> RunStore:
    """The store, with a background executor running for this home (none for a read-only
    demo: it must not start training processes)."""
    s = get_store()
    if not settings.demo_mode():
        _executor_for(str(settings.home_dir()))
    return s


@st.cache_resource(ttl=10)
def _executor_for(home: str) -> bool:
    # Checked at most every 10 s per server: start the executor if none serves this home.
    executor.ensure_executor(get_store())
    return True
