"""What quality costs: the cost-vs-quality frontier, a classical baseline, scaling
projections, serving cost, every assumption with its date — and a report to hand over."""

from functools import partial

import pandas as pd
import streamlit as st

from dashboard.components.cost_charts import frontier_figure, scaling_figure
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
from paretolab.costing.scaling import prediction_band
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


def scaling_section() -> None:
    st.subheader("Scaling: what would a better model cost?")
    fit_metrics = frontier_services.fittable_metrics(metrics)
    if not fit_metrics or "flops_estimated" not in runs:
        st.info("No metric to fit against compute.")
        return
    default = "val_loss" if "val_loss" in fit_metrics else fit_metrics[0]
    s1, s2, s3, s4 = st.columns(4)
    fit_metric = s1.selectbox(
        "Fit", fit_metrics, index=fit_metrics.index(default), key="biz_fit_metric"
    )
    hw = frontier_services.hardware_choices()
    hardware = s2.selectbox(
        "On",
        list(hw),
        index=list(hw).index("h100-sxm") if "h100-sxm" in hw else 0,
        format_func=hw.get,
        key="biz_fit_hw",
    )
    devices = s3.number_input("Devices", 1, 4096, 8, key="biz_fit_devices")
    mfu = s4.slider("Assumed MFU", 0.05, 0.8, 0.4, 0.05, key="biz_fit_mfu")
    try:
        fitted = projection_services.scaling(runs, fit_metric)
    except UserError as exc:
        st.info(str(exc))
        return
    values = runs[fit_metric].dropna()
    better_high = fitted["fitted_as"].startswith("1 −")
    best = values.max() if better_high else values.min()
    suggested = min(best + 0.02, 0.999) if better_high else best * 0.9
    target = st.number_input(
        f"Target {fit_metric}", value=float(round(suggested, 4)), format="%.4f", key="biz_target"
    )
    projection = projection_services.project_target(fitted, target, hardware, int(devices), mfu)
    grid = projection_services.log_range(fitted["compute"], projection["flops"])
    low, high = prediction_band(fitted["fit"], grid)
    fig = scaling_figure(fitted, grid, low, high, projection)
    st.plotly_chart(fig, key="biz_scaling", width="stretch")
    setup = f"{devices} × {hw[hardware]} at {mfu:.0%} MFU"
    lines = [
        projection_services.describe_fit(fitted),
        projection_services.describe_projection(projection, fit_metric, setup),
    ]
    st.markdown("\n".join(f"- {line}" for line in lines))
    chinchilla = projection_services.chinchilla_table(runs)
    if not chinchilla.empty:
        st.caption(
            "Chinchilla context: compute-optimal training uses about 20 tokens per parameter "
            "(Hoffmann et al. 2022; their constants are debated — context, not truth)."
        )
        chinchilla = readable_costs(chinchilla)
        st.dataframe(chinchilla, hide_index=True, width="stretch", column_config=NUMBER_FORMATS)
    report.sections.append(("Scaling projection", [fig, lines, chinchilla]))


def serving_section(points: pd.DataFrame) -> None:
    st.subheader("Serving: what does each answer cost?")
    if points.empty:
        return
    ordered = points.sort_values("on_frontier", ascending=False)
    names = dict(zip(ordered["id"].astype(int), ordered["name"], strict=True))
    v1, v2, v3, v4 = st.columns(4)
    run_id = v1.selectbox(
        "Model of run", list(names), format_func=lambda i: f"{i} · {names[i]}", key="biz_serve_run"
    )
    hw = frontier_services.hardware_choices()
    hardware = v2.selectbox(
        "Served on",
        list(hw),
        index=list(hw).index("l4") if "l4" in hw else 0,
        format_func=hw.get,
        key="biz_serve_hw",
    )
    utilisation = v3.slider("Utilisation", 0.05, 1.0, 0.3, 0.05, key="biz_serve_util")
    per_request = v4.number_input("Tokens per request", 1, 1_000_000, 500, key="biz_serve_tokens")
    try:
        result = projection_services.serving(run_id, hardware, utilisation, int(per_request))
    except UserError as exc:
        st.error(str(exc))
        return
    m1, m2, m3 = st.columns(3)
    m1.metric("per 1M tokens", projection_services.usd(result.usd_per_million_tokens))
    m2.metric("per 1,000 requests", projection_services.usd(result.usd_per_thousand_requests))
    m3.metric("tokens/s per device", f"{result.tokens_per_sec:,.0f}")
    note = projection_services.describe_serving(result, f"Run {run_id} ({names[run_id]})")
    st.caption("Estimated from FLOPs (no measurement): " + note)
    measured = projection_services.measured_serving(run_id)
    if measured.empty:
        st.caption(
            "Measured: none yet for this run. Register it (`paretolab models register "
            f"{run_id} --name NAME`) and run `paretolab bench serve NAME`."
        )
        report.sections.append(("Serving cost", ["Estimated from FLOPs: " + note]))
        return
    st.markdown("**Measured on real hardware** (`paretolab bench serve`), beside the estimate:")
    st.dataframe(measured, hide_index=True, width="stretch")
    measured_note = projection_services.describe_measured(measured)
    st.caption(measured_note)
    report.sections.append(("Serving cost", ["Estimated from FLOPs: " + note, measured_note]))


points = frontier_section()
baseline_section(points)
scaling_section()
serving_section(points)

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
