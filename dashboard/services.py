"""What pages ask for. Pages render; this module talks to the store and launcher."""

from __future__ import annotations

import time

import pandas as pd
import streamlit as st

from paretolab import launcher
from paretolab.store import STATUSES, RunStore

HEADLINE_METRICS = ("val_loss", "val_acc", "val_f1", "test_acc", "test_f1")


@st.cache_resource
def get_store() -> RunStore:
    """One store (and connection pool) per server process."""
    return RunStore()


def runs_frame(statuses: list[str] | None = None, limit: int = 1000) -> pd.DataFrame:
    """The runs table: one row per run with its headline metrics, newest first."""
    store = get_store()
    launcher.reap_orphans(store)
    runs = store.list_runs(statuses or None, limit=limit)
    latest = store.latest_metrics_of([r.id for r in runs])
    now = time.time()
    rows = []
    for r in runs:
        m = latest.get(r.id, {})
        rows.append(
            {
                "id": r.id,
                "name": r.name,
                "status": r.status,
                "task": r.task,
                "created": pd.Timestamp(r.created_at, unit="s"),
                "duration_s": r.duration(now),
                **{k: (m[k].value if k in m else None) for k in HEADLINE_METRICS},
                "tags": ", ".join(r.tags),
            }
        )
    columns = ["id", "name", "status", "task", "created", "duration_s", *HEADLINE_METRICS, "tags"]
    return pd.DataFrame(rows, columns=columns)


def status_choices() -> tuple[str, ...]:
    """Every run status, for filters."""
    return STATUSES
