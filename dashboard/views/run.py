"""One run: live curves, cost, config, artifacts, log, error, W&B files, tags and notes; cancel;
a link to look inside its model."""

import json
from functools import partial

import streamlit as st
import yaml

from dashboard.components.artifact_view import show_artifacts
from dashboard.components.charts import confusion_figure, curves_figure, system_figure
from dashboard.components.pretrained_panel import render_pretrained
from dashboard.components.run_cost import show_run_cost
from dashboard.components.store_changed import rerun_if_changed, store_changed
from dashboard.components.user_text import notes_markdown, plain_markdown
from dashboard.services import access
from dashboard.services import launch as launch_services
from dashboard.services import models as model_services
from dashboard.services import run_detail as detail_services
from dashboard.services import runs as run_services
from dashboard.services import system as system_services
from paretolab.errors import RunNotFound, UserError

requested = st.query_params.get("run", "")
linked = [int(requested)] if requested.isdigit() else []  # however old the linked run is
choices = launch_services.run_choices(include=linked)
if linked and linked[0] not in choices:
    st.warning(f"There is no run {requested}.")
if not choices:
    st.title("Run")
    st.info("No runs yet. Launch one on the Launch page.")
    st.stop()
picked = st.session_state.get("run_pick")  # kept while this page is open
if picked not in choices:  # opened afresh: the linked run, else the newest
    picked = int(requested) if linked and linked[0] in choices else next(iter(choices))
# Set through the session state on every run, not as a default: a keyed selectbox keeps the
# label it showed, so "· running" stayed after the run ended; a set value is redrawn with
# the labels of now.
st.session_state.run_pick = picked
run_id = st.selectbox("Run", list(choices), format_func=choices.get, key="run_pick")
st.query_params["run"] = str(run_id)
try:
    run = run_services.get_run(run_id)
except RunNotFound as exc:
    st.error(str(exc))
    st.stop()

st.title(f"Run {run.id}: {plain_markdown(run.name)}")
if run.study is not None:
    st.page_link(
        "views/sweeps.py",
        label=f"Trial {run.trial_number} of sweep {run.study}",
        icon=":material/tune:",
        query_params={"study": run.study},
    )
st.page_link(
    "views/attention.py",
    label="Look inside: attention, rollout, saliency",
    icon=":material/visibility:",
    query_params={"run": str(run.id)},
)
if run.is_terminal and access.permitted("register a model"):
    with st.expander("Register as a model"):
        r1, r2 = st.columns(2)
        model_name = r1.text_input("Model name", run.name, key=f"run_register_name_{run_id}")
        kind = r2.radio("Checkpoint", ["best", "last"], horizontal=True, key="run_register_ckpt")
        about = st.text_input("Description", "", key=f"run_register_about_{run_id}")
        if st.button("Register", key=f"run_register_{run_id}"):
            try:
                registered = model_services.register(run_id, model_name.strip(), kind, about)
            except UserError as exc:
                st.error(str(exc))
            else:
                st.success(f"registered as {registered.ref}")
                st.page_link(
                    "views/models.py",
                    label=f"Open {registered.ref} on the Models page",
                    icon=":material/inventory_2:",
                    query_params={"model": registered.model},
                )
pretrained = detail_services.pretrained_model(run_id)
if pretrained is not None:
    render_pretrained(pretrained)
c1, c2 = st.columns(2)
smoothing = c1.slider("Smoothing (EMA)", 0.0, 0.99, 0.6, 0.01, key="run_smoothing")
x_axis = c2.radio("x-axis", ["step", "wall", "relative"], horizontal=True, key="run_x")

# Cancel, tags and notes only for who may change this run (not in a read-only demo, not a
# viewer, a member only on their own runs); the services check it again.
can_change = access.permitted("change this run", run.owner)
charts, cost_tab, config_tab, artifacts_tab, log_tab, notes_tab = st.tabs(
    ["Charts", "Cost", "Config", "Artifacts", "Log", "Notes & tags"]
)


@st.fragment(run_every=5 if not run.is_terminal else None)
def live_status_and_charts() -> None:
    latest = run_services.get_run(run_id)
    head, button = st.columns([4, 1])
    head.markdown(
        f"status: **{latest.status}** · {latest.task} · "
        f"tags: {plain_markdown(', '.join(latest.tags)) or '—'}"
    )
    # A run that ended (or was cancelled elsewhere) since the page drew: redraw the page, so
    # the Run picker and the tabs say so too.
    rerun_if_changed(run.status, latest.status)
    if not latest.is_terminal and can_change:
        with button.popover("Cancel run", icon=":material/cancel:"):
            st.caption("Its process is stopped; it can be resumed from its last checkpoint.")
            if st.button(f"Yes, cancel run {run_id}", type="primary", key="run_cancel"):
                try:
                    note = run_services.cancel(run_id)
                except UserError as exc:
                    st.error(str(exc))
                else:
                    store_changed(note)
    if latest.status == "queued" and latest.queue_reason:
        st.info(f"Waiting in the queue: {plain_markdown(latest.queue_reason)}")
    if latest.error:
        st.error("This run failed:")
        st.code(latest.error[-5000:], language="text")
    keys = detail_services.metric_keys(run_id)
    if not keys:
        st.info("No training metrics yet.")
        show_system()
        return
    confusion = detail_services.confusion_matrix(run_id)
    if confusion is not None:
        st.plotly_chart(confusion_figure(confusion), key="run_confusion")
    tests = detail_services.test_metrics(run_id)
    if not tests.columns.empty:  # one value each: a table, not a one-point chart apiece
        st.dataframe(tests, hide_index=True, key="run_test_metrics")
    if latest.is_terminal:
        show_test_outputs()
    cols = st.columns(2)
    for i, key in enumerate(k for k in keys if not detail_services.is_single_point(k)):
        series = detail_services.metric_series([run_id], key, x_axis)
        with cols[i % 2]:
            st.plotly_chart(
                curves_figure(series, key, {run_id: run.name}, smoothing, x_axis),
                key=f"run_chart_{key}",
                width="stretch",
            )
    show_system()


def show_system() -> None:
    """System metrics under the training curves, on their x-axis; the run's summary."""
    panels = system_services.system_panels([run_id], {run_id: run.name}, x_axis)
    summary = system_services.system_summary(run_id)
    if not panels and summary["peak_rss_mb"] is None:
        return
    st.subheader("System")
    if summary["low_util"]:
        st.warning(summary["low_util"])
    st.caption(system_services.describe_system(summary))
    cols = st.columns(2)
    for i, panel in enumerate(panels):
        cols[i % 2].plotly_chart(
            system_figure(panel.series, panel.title, x_axis),
            key=f"run_system_{panel.title}",
            width="stretch",
        )


def show_test_outputs() -> None:
    """Translations, regression predictions or generated samples from the test phase."""
    outputs = detail_services.test_outputs(run_id)
    if outputs is None:
        return
    kind, data = outputs
    with st.expander(f"Test {kind}", expanded=True):
        if isinstance(data, str):
            st.code(data, language="text")
            return
        if "exact" in data and st.checkbox("only mistakes", key="run_outputs_mistakes"):
            data = data[~data["exact"]]
        st.dataframe(data, hide_index=True, width="stretch", height=300)


with charts:
    live_status_and_charts()

with charts:
    # One click: the full series is read when the button is clicked (deferred data), not
    # on every live refresh, and with no separate prepare step.
    d1, d2 = st.columns([3, 1], vertical_alignment="bottom")
    csv_key = d1.selectbox(
        "Full series as CSV",
        [*detail_services.metric_keys(run_id), *system_services.system_keys(run_id)],
        key="run_csv_key",
    )
    if csv_key:
        d2.download_button(
            "Download CSV",
            partial(detail_services.metric_csv, run_id, csv_key),
            file_name=f"run{run_id}_{csv_key.replace('/', '_')}.csv",
            mime="text/csv",
            on_click="ignore",
            key="run_csv_download",
        )


with cost_tab:
    show_run_cost(run_id)

with config_tab:
    st.code(yaml.safe_dump(run.config, sort_keys=False), language="yaml")
    st.download_button(
        "config.json",
        json.dumps(run.config, indent=1),
        file_name=f"run{run_id}.json",
        key="run_config_json",
    )

with artifacts_tab:
    show_artifacts(run_id)

with log_tab:
    st.code(detail_services.log_tail(run_id) or "(no log yet)", language="text")


def _forget_edits(run_id: int) -> None:
    """Drop the edit boxes' state, so they start again from the stored tags and notes
    (a callback: it runs before the page does, when widget state may still change)."""
    for key in (f"run_shown_{run_id}", f"run_tags_{run_id}", f"run_notes_{run_id}"):
        st.session_state.pop(key, None)


with notes_tab:
    # Every box is keyed by run: a box keyed once for all runs kept the last run's text
    # after the picker moved, and Save wrote it into the new run. What the boxes started
    # from is kept too, so Save refuses if someone changed the run meanwhile.
    shown_key = f"run_shown_{run_id}"
    if f"run_tags_{run_id}" not in st.session_state or shown_key not in st.session_state:
        st.session_state[shown_key] = (list(run.tags), run.notes)
        st.session_state.pop(f"run_tags_{run_id}", None)
        st.session_state.pop(f"run_notes_{run_id}", None)
    shown_tags, shown_notes = st.session_state[shown_key]
    tags = st.text_input(
        "Tags (comma-separated)",
        ", ".join(shown_tags),
        key=f"run_tags_{run_id}",
        disabled=not can_change,
    )
    notes = st.text_area(
        "Notes (Markdown)",
        shown_notes,
        key=f"run_notes_{run_id}",
        height=160,
        disabled=not can_change,
    )
    if can_change and st.button("Save", key=f"run_save_notes_{run_id}"):
        new_tags = [t for t in tags.split(",") if t.strip()]
        try:
            run_services.save_tags_and_notes(run_id, new_tags, notes, (shown_tags, shown_notes))
        except UserError as exc:
            st.error(str(exc))
            st.button(
                "Load the latest tags and notes (drops your edit)",
                key=f"run_reload_edits_{run_id}",
                on_click=_forget_edits,
                args=(run_id,),
            )
        else:
            saved = run_services.get_run(run_id)  # as stored: stripped, sorted, no repeats
            st.session_state[shown_key] = (list(saved.tags), saved.notes)
            st.toast("saved")
    if run.notes:
        st.markdown(notes_markdown(run.notes))
