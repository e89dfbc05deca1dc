"""Runs: every run in the store with its status and headline metrics, refreshed live."""

import streamlit as st

from dashboard import services

st.title("Runs")
statuses = st.multiselect(
    "Status", services.status_choices(), key="runs_status_filter", placeholder="all statuses"
)


@st.fragment(run_every=5)
def runs_table() -> None:
    frame = services.runs_frame(statuses)
    if frame.empty:
        st.info("No runs yet. Start one from a terminal: `paretolab train configs/tiny.yaml`.")
        return
    st.caption(f"{len(frame)} runs · refreshed every 5 s")
    st.dataframe(
        frame,
        hide_index=True,
        width="stretch",
        column_config={
            "created": st.column_config.DatetimeColumn("created", format="YYYY-MM-DD HH:mm"),
            "duration_s": st.column_config.NumberColumn("duration (s)", format="%.0f"),
        },
    )


runs_table()
