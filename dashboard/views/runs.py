"""Runs: filter, sort and select runs; compare, tag, archive or delete them. Refreshes live."""

import streamlit as st

from dashboard.components.url_state import UrlField, publish, restore
from dashboard.components.view_picker import view_picker
from dashboard.services import access
from dashboard.services import runs as run_services
from paretolab.errors import UserError
from paretolab.store import RunFilter

PAGE = 500

st.title("Runs")
state = st.session_state
# The filters and columns live in the URL too: a link shows a teammate the same view.
URL_FIELDS = (
    UrlField("runs_status", "status", list),
    UrlField("runs_text", "q"),
    UrlField("runs_tag", "tag"),
    UrlField("runs_archived", "archived", bool),
    UrlField("runs_system", "system", bool),
    UrlField("runs_columns", "columns", list),
)
restore(
    URL_FIELDS,
    {
        "runs_status": run_services.statuses(),
        "runs_tag": ["", *run_services.all_tags()],
        "runs_columns": run_services.table_columns(),
    },
)
state.setdefault("runs_columns", list(run_services.DEFAULT_COLUMNS))

f1, f2, f3, f4, f5, f6 = st.columns([2, 2, 1, 1, 1, 1])
statuses = f1.multiselect(
    "Status", run_services.statuses(), key="runs_status", placeholder="all statuses"
)
text = f2.text_input(
    "Search name, owner, task, params", key="runs_text", placeholder="e.g. bbc, adamw, alice"
)
tag = f3.selectbox("Tag", ["", *run_services.all_tags()], key="runs_tag")
archived = f4.toggle("Archived", key="runs_archived", help="Show archived runs instead")
system_columns = f5.toggle(
    "System",
    key="runs_system",
    help="Peak process and GPU memory, mean GPU utilisation (stored when training ends)",
)
with f6:
    view_picker("", "views/runs.py")
with st.popover("Columns", help="Choose the table's columns"):
    st.multiselect(
        "Columns",
        run_services.table_columns(),
        key="runs_columns",
        label_visibility="collapsed",
    )
with st.expander("Metric thresholds"):
    t1, t2 = st.columns(2)
    min_acc = t1.number_input("val_acc at least", 0.0, 1.0, 0.0, 0.01, key="runs_min_acc")
    max_loss = t2.number_input(
        "val_loss at most (0: any)", 0.0, None, 0.0, 0.1, key="runs_max_loss"
    )


publish(URL_FIELDS, {"runs_columns": list(run_services.DEFAULT_COLUMNS)})
search = RunFilter(
    text=text.strip(),
    tag=tag or "",
    metric_min={"val_acc": min_acc} if min_acc > 0 else {},
    metric_max={"val_loss": max_loss} if max_loss > 0 else {},
)
state.setdefault("runs_page_size", PAGE)


@st.fragment(run_every=5)
def runs_table() -> None:
    frame, total = run_services.runs_frame(statuses, search, archived, limit=state.runs_page_size)
    if frame.empty:
        st.info(
            "No runs match. Launch one on the Launch page, or from a terminal: "
            "`paretolab train configs/tiny.yaml`."
        )
        return
    st.caption(
        f"{total} runs · showing the newest {len(frame)} · live: refreshes every 5 s · click rows to select, then Open, Compare or tag them"
    )
    event = st.dataframe(
        frame,
        hide_index=True,
        width="stretch",
        key="runs_table",
        on_select="rerun",
        selection_mode="multi-row",
        column_config={
            "progress": st.column_config.ProgressColumn(
                "progress", min_value=0.0, max_value=1.0, format="percent"
            ),
            "eta_s": st.column_config.NumberColumn("ETA (s)", format="%.0f"),
            "created": st.column_config.DatetimeColumn("created", format="YYYY-MM-DD HH:mm"),
            "duration_s": st.column_config.NumberColumn("duration (s)", format="%.0f"),
            "lr": st.column_config.NumberColumn("lr", format="%g"),
            "cost/usd": st.column_config.NumberColumn("cost ($)", format="$%.3g"),
            "peak_rss_mb": st.column_config.NumberColumn("peak RSS (MB)", format="%.0f"),
            "peak_gpu_mem_mb": st.column_config.NumberColumn("peak GPU mem (MB)", format="%.0f"),
            "mean_gpu_util": st.column_config.NumberColumn("mean GPU util (%)", format="%.0f"),
            "util_flag": st.column_config.TextColumn("utilisation"),
            "monitor": st.column_config.TextColumn(
                "monitor", help="the metric the run monitors (trainer.monitor)"
            ),
            "monitored": st.column_config.NumberColumn(
                "monitored", format="%.4g", help="the run's latest value of its monitored metric"
            ),
            "test": st.column_config.NumberColumn(
                "test",
                format="%.4g",
                help="the task's test metric: test_acc (classification, images), test_r2 "
                "(regression), test_exact_match (seq2seq)",
            ),
        },
        column_order=shown_columns(frame),
    )
    selected = [int(frame.iloc[i]["id"]) for i in event.selection.rows] if event else []
    actions(selected)
    if total > len(frame) and st.button(f"Show {PAGE} more", key="runs_more"):
        state.runs_page_size += PAGE
        st.rerun()


def shown_columns(frame) -> list[str]:
    """The columns picked in the chooser (the headline set by default), in table order; the
    System toggle adds the system figures."""
    picked = set(state.runs_columns or run_services.DEFAULT_COLUMNS)
    if system_columns:
        picked |= set(run_services.SYSTEM_COLUMNS)
    return [c for c in frame.columns if c in picked]


def actions(selected: list[int]) -> None:
    a1, a2, a3, a4, a5 = st.columns([1, 1, 2, 1, 1])
    if a1.button(
        "Compare",
        key="runs_compare",
        disabled=not 2 <= len(selected) <= 20,
        help="Select 2 to 20 runs",
    ):
        state.compare_ids = selected
        st.switch_page("views/compare.py")
    if a2.button("Open", key="runs_open", disabled=len(selected) != 1):
        st.switch_page("views/run.py", query_params={"run": str(selected[0])})
    if access.demo_mode():  # read-only: compare and open, nothing that changes runs
        a3.caption("Read-only demo: tagging, archiving and deleting are off")
        return
    if access.read_only():  # a viewer: members may change their own runs, admins all
        a3.caption("Your role can look, not tag, archive or delete")
        return
    new_tag = a3.text_input(
        "Tag selected",
        key="runs_new_tag",
        label_visibility="collapsed",
        placeholder="tag for selected runs",
        disabled=not selected,
    )
    if new_tag and selected and a3.button("Add tag", key="runs_add_tag"):
        try:
            run_services.add_tag(selected, new_tag)
        except UserError as exc:  # a member tagging someone else's run
            st.error(str(exc))
        else:
            st.rerun()
    if a4.button("Unarchive" if archived else "Archive", key="runs_archive", disabled=not selected):
        confirm("archive", selected)
    if a5.button("Delete", key="runs_delete", disabled=not selected):
        confirm("delete", selected)


@st.dialog("Are you sure?")
def confirm(action: str, run_ids: list[int]) -> None:
    verb = "Unarchive" if action == "archive" and archived else action.capitalize()
    st.write(f"{verb} {len(run_ids)} run(s): {', '.join(map(str, run_ids))}?")
    if action == "delete":
        st.caption(
            "Deleting removes the runs' records and metrics from the store; their folders stay."
        )
    if st.button(f"Yes, {verb.lower()}", type="primary", key="runs_confirm"):
        try:
            if action == "delete":
                run_services.delete_runs(run_ids)
            else:
                run_services.archive_runs(run_ids, not archived)
        except UserError as exc:
            st.error(str(exc))
            return
        st.rerun()


runs_table()
