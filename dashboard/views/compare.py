"""Compare 2–20 runs: overlaid curves, config diff, final metrics, params → metric, groups."""

import pandas as pd
import plotly.express as px
import streamlit as st

from dashboard.components.charts import (
    band_figure,
    curves_figure,
    grid_figure,
    parallel_figure,
    system_figure,
)
from dashboard.components.url_state import UrlField, publish, restore
from dashboard.components.view_picker import view_picker
from dashboard.services import compare as compare_services
from dashboard.services import launch as launch_services
from dashboard.services import run_detail as detail_services
from dashboard.services import system as system_services
from paretolab.errors import UserError

st.title("Compare runs")
view_picker("compare", "views/compare.py")
requested = st.query_params.get("runs", "")
preset = st.session_state.get("compare_ids") or [
    int(x) for x in requested.split(",") if x.isdigit()
]
choices = launch_services.run_choices(limit=1000, include=preset)
run_ids = st.multiselect(
    "Runs (2 to 20)",
    list(choices),
    default=[r for r in preset if r in choices],
    format_func=choices.get,
    max_selections=20,
    key="compare_runs",
)
if len(run_ids) < 2:
    st.info("Pick at least two runs here, or select them on the Runs page and press Compare.")
    st.stop()
st.query_params["runs"] = ",".join(map(str, run_ids))

try:
    table = compare_services.compare_table(run_ids)
except UserError as exc:  # a run was deleted meanwhile
    st.error(str(exc))
    st.stop()
# The monitored metric first: the selectors default to it and the table shows it first.
metric_columns = compare_services.headline_first(
    run_ids, [c for c in table.columns if c not in ("id", "name", "status")]
)
table = table[["id", "name", "status", *metric_columns]]
if not metric_columns:
    st.info("These runs have no metrics yet.")
    st.stop()
labels = {int(r): f"{r} · {n}" for r, n in zip(table["id"], table["name"], strict=True)}
# Besides the runs (?runs=), the view's choices live in the URL: a link reproduces it.
URL_FIELDS = (
    UrlField("compare_x", "x"),
    UrlField("compare_smoothing", "smooth", float),
    UrlField("compare_group", "group"),
)
BAR_METRIC = UrlField("compare_bar_metric", "metric")
COLOUR_METRIC = UrlField("compare_parallel_metric", "colour")
restore(
    URL_FIELDS,
    {
        "compare_x": ["step", "wall", "relative"],
        "compare_group": ["(none)", *compare_services.config_fields(run_ids)],
    },
)
if not 0.0 <= st.session_state.get("compare_smoothing", 0.6) <= 0.99:
    del st.session_state["compare_smoothing"]  # a hand-edited URL out of the slider's range
c1, c2, c3 = st.columns(3)
smoothing = c1.slider("Smoothing (EMA)", 0.0, 0.99, 0.6, 0.01, key="compare_smoothing")
x_axis = c2.radio("x-axis", ["step", "wall", "relative"], horizontal=True, key="compare_x")
group_by = c3.selectbox(
    "Group by (mean ± std)",
    ["(none)", *compare_services.config_fields(run_ids)],
    key="compare_group",
)


def show_curves() -> None:
    groups = None if group_by == "(none)" else compare_services.group_labels(run_ids, group_by)
    figures = []
    # Test metrics are one value per run: Final metrics shows them as a table and bars.
    for key in compare_services.shared_metric_keys(run_ids):
        if detail_services.is_single_point(key):
            continue
        series = detail_services.metric_series(run_ids, key, x_axis)
        if groups is None:
            figures.append(curves_figure(series, key, labels, smoothing, x_axis))
        else:
            figures.append(band_figure(series, groups, key, smoothing, x_axis))
    if figures:  # one figure, a subplot per metric: one chart for the browser to mount
        st.plotly_chart(grid_figure(figures), key="compare_curves", width="stretch")
    panels = system_services.system_panels(run_ids, labels, x_axis)
    if panels:
        st.subheader("System")
        for run_id in run_ids:
            note = system_services.system_summary(run_id)["low_util"]
            if note:
                st.warning(f"{labels[run_id]}: {note}")
        figures = [system_figure(p.series, p.title, x_axis) for p in panels]
        st.plotly_chart(grid_figure(figures), key="compare_system", width="stretch")


def show_config_diff() -> None:
    show_all = st.toggle("Show all fields", key="compare_all_fields")
    diff = compare_services.config_diff(run_ids, only_different=not show_all)
    if diff.empty:
        st.info("These runs have identical configs.")
    else:
        st.dataframe(diff, width="stretch")


def show_final_metrics() -> None:
    st.dataframe(table, hide_index=True, width="stretch")
    restore((BAR_METRIC,), {BAR_METRIC.key: metric_columns})  # its tab may open later
    metric = st.selectbox("Metric", metric_columns, key="compare_bar_metric")
    bars = table.assign(run=table["id"].map(labels))
    st.plotly_chart(
        px.bar(bars, x="run", y=metric, title=metric), key="compare_bar", width="stretch"
    )


def show_params_to_metric() -> None:
    params = compare_services.numeric_params(run_ids)
    restore((COLOUR_METRIC,), {COLOUR_METRIC.key: metric_columns})
    target = st.selectbox("Colour by", metric_columns, key="compare_parallel_metric")
    frame = params.merge(table[["id", target]], on="id")
    dims = [c for c in frame.columns if c != "id" and frame[c].nunique(dropna=True) > 1]
    if target not in dims:
        dims.append(target)
    if len(dims) < 2:
        st.info("The selected runs differ in no numeric parameter.")
    else:
        fig = parallel_figure(frame.dropna(subset=[target]), dims, target)
        st.plotly_chart(fig, key="compare_parallel", width="stretch")
        st.dataframe(pd.DataFrame(frame), hide_index=True)


# Lazy tabs: only the open tab's content runs and is drawn. Every chart costs the browser
# time on load, and hidden tabs' charts would be drawn for nothing.
TABS = {
    "Curves": show_curves,
    "Config diff": show_config_diff,
    "Final metrics": show_final_metrics,
    "Params → metric": show_params_to_metric,
}
tabs = st.tabs(list(TABS), key="compare_tab", on_change="rerun")
for tab, show in zip(tabs, TABS.values(), strict=True):
    if tab.open:
        with tab:
            show()
publish(
    (*URL_FIELDS, BAR_METRIC, COLOUR_METRIC),
    {"compare_x": "step", "compare_smoothing": 0.6, "compare_group": "(none)"},
)
