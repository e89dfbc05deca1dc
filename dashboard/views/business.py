"""What quality costs: the cost-vs-quality frontier, a classical baseline, scaling
projections, serving cost, every assumption with its date — and a report to hand over."""

from functools import partial

import pandas as pd
import streamlit as st

from dashboard.components.business_projections import scaling_section, serving_section
from dashboard.components.cost_charts import frontier_figure
from dashboard.components.cost_columns import cost_columns, readable_costs
from dashboard.components.store_changed import store_changed
from dashboard.services import access
from dashboard.services import models as model_services
from dashboard.services import spend as spend_services
from dashboard.services.business import costs as cost_services
from dashboard.services.business import frontier as frontier_services
from dashboard.services.business import projections as projection_services
from dashboard.services.business import report as report_services
from paretolab.baselines import BASELINE_TASKS
from paretolab.errors import UserError

st.title("What quality costs")
state = st.session_state
if access.demo_mode():
    st.caption("Read-only demo: nothing here can be launched, changed or deleted.")
can_train = access.permitted("train a baseline")  # not in a demo, not for a viewer
export = st.container()  # filled at the end, once every section has added to the report

frame = cost_services.costs_frame()
if frame.empty:
    st.info(
        "No finished runs yet. Every run records what it cost (FLOPs, device-hours, $, kWh, "
        "CO₂e); finish a few runs of one task to see them against their quality here."
    )
    st.subheader("Assumptions")
    st.dataframe(frontier_services.assumptions(), hide_index=True, width="stretch")
    st.stop()

choices = frontier_services.splits(frame)
c1, c2, c3, c4 = st.columns([3, 2, 2, 1])
key = c1.selectbox(
    "Runs on the data split", list(choices), format_func=choices.get, key="biz_split"
)
runs = frame[frame["split_key"] == key].dropna(axis=1, how="all")
metrics = frontier_services.quality_metrics(runs)
if not metrics:
    st.info("These runs logged no validation or test metric yet.")
    st.stop()
metric = c2.selectbox("Quality", metrics, key="biz_metric")
axes = {k: v for k, v in frontier_services.COST_AXES.items() if k in runs}
if not axes:
    st.info("These runs have no cost figures: a run stores them when its training ends.")
    st.stop()
cost = c3.selectbox("Cost", list(axes), format_func=axes.get, key="biz_cost")
log_x = c4.toggle("log x", True, key="biz_log_x")
log_y = c4.toggle("log y", False, key="biz_log_y")
NUMBER_FORMATS = cost_columns()
report = report_services.Report(
    "What quality costs", f"{choices[key]} · {metric} against {axes[cost]}", sections=[]
)


def frontier_section() -> pd.DataFrame:
    result = frontier_services.frontier(runs, cost, metric)
    points, steps = result["points"], result["steps"]
    if points.empty:
        st.info(f"No run has both {metric} and {axes[cost]}.")
        return points
    best = points.loc[
        points[metric].idxmax() if result["higher_is_better"] else points[metric].idxmin()
    ]
    cheapest = points.loc[points[cost].idxmin()]
    k1, k2, k3, k4 = st.columns(4)
    k1.metric(
        "Runs",
        len(points),
        f"{int(points['on_frontier'].sum())} on the frontier",
        delta_color="off",
        delta_arrow="off",
    )
    k2.metric(
        f"Best {metric}",
        f"{best[metric]:.4g}",
        frontier_services.format_cost(best[cost], cost),
        delta_color="off",
        delta_arrow="off",
    )
    k3.metric(
        "Cheapest run",
        frontier_services.format_cost(cheapest[cost], cost),
        f"{metric} {cheapest[metric]:.4g}",
        delta_color="off",
        delta_arrow="off",
    )
    if "usd" in points:
        k4.metric("Spent on these runs", frontier_services.format_cost(points["usd"].sum(), "usd"))
    fig = frontier_figure(
        points, cost, axes[cost], metric, frontier_services.baseline(key), log_x, log_y
    )
    st.plotly_chart(fig, key="biz_frontier", width="stretch")
    sentences = steps["sentence"].tolist() if not steps.empty else ["One run is on the frontier."]
    st.markdown("\n".join(f"- {s}" for s in sentences))
    wanted = ("name", cost, metric, "params", "flops_estimated", "device_hours", "usd")
    wanted += ("energy_kwh", "energy_source", "co2_kg", "mfu", "flops_ratio")
    shown = [c for c in dict.fromkeys(wanted) if c in points]
    table = readable_costs(points[points["on_frontier"]][shown])
    st.dataframe(table, hide_index=True, width="stretch", column_config=NUMBER_FORMATS)
    register_from_frontier(points[points["on_frontier"]])
    report.sections.append(
        (
            "Cost against quality",
            [
                f"{len(points)} runs; the frontier holds the runs no other run "
                "beats on both cost and quality.",
                fig,
                sentences,
                table,
            ],
        )
    )
    return points


def register_from_frontier(frontier: pd.DataFrame) -> None:
    """Register a run on the frontier as a model version (members and admins only)."""
    if frontier.empty or not access.permitted("register a model"):
        return
    with st.expander("Register a run on the frontier as a model"):
        names = dict(zip(frontier["id"].astype(int), frontier["name"], strict=True))
        f1, f2 = st.columns(2)
        run_id = f1.selectbox(
            "Run on the frontier",
            list(names),
            format_func=lambda i: f"{i} · {names[i]}",
            key="biz_register_run",
        )
        model_name = f2.text_input("Model name", names[run_id], key="biz_register_name")
        if st.button("Register", key="biz_register"):
            try:
                registered = model_services.register(run_id, model_name.strip(), "best")
            except UserError as exc:
                st.error(str(exc))
            else:
                st.success(f"registered run {run_id} as {registered.ref}")


def baseline_section(points: pd.DataFrame) -> None:
    st.subheader("Is the Transformer worth it? A classical baseline on the same split")
    found = frontier_services.baseline(key)
    if found:
        value = found["metrics"].get(metric)
        text = (
            f"{found['model']}: {metric} {value:.4g} for {projection_services.usd(found['cost']['cost_usd'])} "
            f"({found['wall_seconds']:.1f} s on {found['cost']['device_name']}; "
            f"{found['examples']['train']} training examples)."
            if value is not None
            else f"{found['model']} has no {metric}."
        )
        if value is not None and not points.empty and metric in points:
            beating = frontier_services.runs_beating(points[metric], metric, value)
            text += f" {beating} of {len(points)} Transformer runs beat it."
        st.markdown(text)
        report.sections.append(("Classical baseline", [text]))
    elif runs["task"].iloc[0] in BASELINE_TASKS:
        st.caption("No baseline for this split yet.")
    else:
        st.caption(f"No classical baseline for task {runs['task'].iloc[0]} here.")
        return
    if can_train and st.button("Train the classical baseline on this split", key="biz_baseline"):
        with st.spinner("Training TF-IDF + logistic regression (or its kin) on the same split…"):
            try:
                trained = frontier_services.train_baseline(int(runs["id"].iloc[0]))
            except UserError as exc:
                st.error(str(exc))
            else:
                store_changed(f"Trained the classical baseline ({trained['model']}).")


points = frontier_section()
baseline_section(points)
scaling_section(runs, metrics, report)
serving_section(points, report)

st.subheader("Assumptions")
table = frontier_services.assumptions()
st.caption(
    "Every price with its date and source. Energy is measured where the device has a meter "
    "(NVML's energy counter or power samples for GPUs, RAPL for the CPU package and DRAM), "
    "else estimated as TDP × PUE; each figure's energy_source says which. Add your own "
    "prices and devices in hardware.yaml in the paretolab home."
)
st.dataframe(table, hide_index=True, width="stretch")
report.sections.append(
    (
        "Assumptions",
        [
            "FLOPs: exact per-layer count (backward = 2 × forward), checked against torch's "
            "FlopCounterMode on one batch of every run.",
            "Energy: measured where the device has a meter (NVML energy counter or power "
            "samples for GPUs, RAPL for CPU package and DRAM) × PUE, else the estimate "
            "TDP × PUE; each run's energy_source names its method. CO₂e: kWh × grid intensity.",
            table,
        ],
    )
)

# Spend last month, the top tags, the budgets and the waste (the Spend page has the rest).
report.sections.append(("Spend", spend_services.report_items("last month")))

with export:
    e1, e2, e3 = st.columns([2, 1, 1])
    if e1.button("Build the stakeholder report", key="biz_report", type="primary"):
        state.biz_report_html = report_services.report_html(report)
    if state.get("biz_report_html"):
        e2.download_button(
            "HTML",
            state.biz_report_html,
            file_name="paretolab-report.html",
            mime="text/html",
            key="biz_report_html_dl",
        )
        # One click: Chromium prints the PDF when the button is clicked (deferred data).
        e3.download_button(
            "PDF",
            partial(report_services.report_pdf, state.biz_report_html),
            file_name="paretolab-report.pdf",
            mime="application/pdf",
            on_click="ignore",
            key="biz_report_pdf_dl",
        )
