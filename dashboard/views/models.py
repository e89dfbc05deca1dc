"""Registered models: versions, aliases, lineage (a link to the run), the model card,
export downloads and measured serving figures; move aliases and archive versions."""

import pandas as pd
import streamlit as st

from dashboard.components.store_changed import store_changed
from dashboard.components.user_text import notes_markdown, plain_markdown
from dashboard.services import access
from dashboard.services import models as model_services
from paretolab.errors import UserError

st.title("Models")
models = model_services.models()
if not models:
    st.info(
        "No registered models yet. Register a run from its Run page, or with "
        "`paretolab models register RUN --name NAME`."
    )
    st.stop()
names = [m.name for m in models]
asked = st.query_params.get("model", "")
name = st.selectbox(
    "Model", names, index=names.index(asked) if asked in names else 0, key="models_pick"
)
st.query_params["model"] = name
versions = model_services.versions(name)
table = pd.DataFrame(
    [
        {
            "version": v.version,
            "aliases": ", ".join("@" + a for a in v.aliases),
            "run": v.run_id,
            "checkpoint": v.checkpoint,
            **{k: val for k, val in list(v.lineage.get("metrics", {}).items())[:4]},
            "state": "archived" if v.archived else "active",
            "registered by": v.created_by or "",
        }
        for v in versions
    ]
)
st.dataframe(table, hide_index=True, width="stretch")
numbers = [v.version for v in versions]
number = st.selectbox("Version", numbers, format_func=lambda n: f"v{n}", key="models_version")
chosen = next(v for v in versions if v.version == number)
st.page_link(
    "views/run.py",
    label=f"Lineage: run {chosen.run_id} ({plain_markdown(chosen.lineage.get('run_name', ''))})",
    icon=":material/monitoring:",
    query_params={"run": str(chosen.run_id)},
)
card_tab, serving_tab, export_tab, change_tab, audit_tab = st.tabs(
    ["Card", "Serving (measured)", "Export", "Aliases & archive", "Audit"]
)
with card_tab:
    st.markdown(notes_markdown(model_services.card(name, number)))  # no remote images
with serving_tab:
    serving = model_services.serving_frame(name, number)
    if serving.empty:
        st.info(
            f"Not measured yet. Measure it here (about a minute on a small CPU), or from a "
            f"terminal: `paretolab bench serve {name}:{number}`."
        )
    if access.permitted("measure a model's serving cost") and st.button(
        "Measure now" if serving.empty else "Measure again", key="models_measure"
    ):
        try:
            with st.spinner("timing PyTorch and ONNX Runtime on this machine…"):
                model_services.measure(name, number)
        except UserError as exc:
            st.error(str(exc))
        else:
            store_changed(f"{name}:{number}: serving measured on this machine")
    if not serving.empty:
        st.dataframe(serving, hide_index=True, width="stretch")
        st.caption("Measured on the hardware named; $ per 1M requests at the catalog's CPU price.")
with export_tab:
    fmt = st.radio("Format", ["safetensors", "onnx"], horizontal=True, key="models_fmt")
    if st.button("Prepare the export", key="models_export"):
        try:
            with st.spinner("exporting (ONNX is checked against PyTorch)…"):
                st.session_state["models_zip"] = (
                    (name, number, fmt),
                    model_services.export_zip(name, number, fmt),
                )
        except UserError as exc:
            st.error(str(exc))
    ready = st.session_state.get("models_zip")
    if ready and ready[0] == (name, number, fmt):
        st.download_button(
            "Download the folder (zip)",
            ready[1],
            file_name=f"{name}-v{number}-{fmt}.zip",
            key="models_download",
        )
with change_tab:
    if not access.permitted("move a model alias"):
        st.caption("Only members and admins change the registry.")
    else:
        alias = st.text_input("Alias", "production", key="models_alias")
        if st.button(f"Point @{alias} at v{number}", key="models_set_alias"):
            try:
                before = model_services.set_alias(name, number, alias.strip())
                st.toast(f"@{alias} → v{number}" + (f" (was v{before})" if before else ""))
                st.rerun()
            except UserError as exc:
                st.error(str(exc))
        label = "Unarchive" if chosen.archived else "Archive"
        if st.button(f"{label} v{number}", key="models_archive"):
            try:
                model_services.set_archived(name, number, not chosen.archived)
                st.rerun()
            except UserError as exc:
                st.error(str(exc))
with audit_tab:
    trail = model_services.audit(name)
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "when": pd.to_datetime(a.at, unit="s"),
                    "who": a.who,
                    "action": a.action,
                    "what": a.target,
                    "before": a.previous,
                }
                for a in trail
            ]
        ),
        hide_index=True,
        width="stretch",
    )
