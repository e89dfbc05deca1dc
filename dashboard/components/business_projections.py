"""The What-quality-costs page's projections: what a better model would cost to train
(a scaling fit against compute) and what each answer costs to serve."""

import pandas as pd
import streamlit as st

from dashboard.components.cost_charts import scaling_figure
from dashboard.components.cost_columns import cost_columns, readable_costs
from dashboard.services.business import frontier as frontier_services
from dashboard.services.business import projections as projection_services
from dashboard.services.business.report import Report
from paretolab.costing.scaling import prediction_band
from paretolab.errors import UserError


def scaling_section(runs: pd.DataFrame, metrics: list[str], report: Report) -> None:
    """What a better model would cost: a scaling fit of ``runs``' quality against compute,
    projected to a target on chosen hardware; adds its section to ``report``."""
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
    hardware = _hardware_pick(s2, "On", "h100-sxm", "biz_fit_hw")
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
    hw_name = frontier_services.hardware_choices()[hardware]
    setup = f"{devices} × {hw_name} at {mfu:.0%} MFU"
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
        st.dataframe(chinchilla, hide_index=True, width="stretch", column_config=cost_columns())
    report.sections.append(("Scaling projection", [fig, lines, chinchilla]))


def serving_section(points: pd.DataFrame, report: Report) -> None:
    """What each answer would cost served: estimated from FLOPs, beside measured serving
    figures where there are some; adds its section to ``report``."""
    st.subheader("Serving: what does each answer cost?")
    if points.empty:
        return
    ordered = points.sort_values("on_frontier", ascending=False)
    names = dict(zip(ordered["id"].astype(int), ordered["name"], strict=True))
    v1, v2, v3, v4 = st.columns(4)
    run_id = v1.selectbox(
        "Model of run", list(names), format_func=lambda i: f"{i} · {names[i]}", key="biz_serve_run"
    )
    hardware = _hardware_pick(v2, "Served on", "l4", "biz_serve_hw")
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


def _hardware_pick(column, label: str, default: str, key: str) -> str:
    """A select box of the hardware catalogue in ``column``, on ``default`` where listed."""
    hw = frontier_services.hardware_choices()
    index = list(hw).index(default) if default in hw else 0
    return column.selectbox(label, list(hw), index=index, format_func=hw.get, key=key)
