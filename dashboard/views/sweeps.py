"""Sweeps: Optuna studies with their progress, trials (each one a run), best trials and
Optuna's own figures; launch a sweep, stop or resume it, enqueue a trial from a run."""

import pandas as pd
import streamlit as st

from dashboard.components.budget_uses import show_budget_uses
from dashboard.components.store_changed import store_changed
from dashboard.components.sweep_form import render_sweep_form
from dashboard.services import access
from dashboard.services import launch as launch_services
from dashboard.services import sweeps as sweep_services
from paretolab.errors import UserError

st.title("Sweeps")
# A read-only demo or a viewer sees studies and figures, nothing that changes them (the
# services refuse it too).
can_launch = access.permitted("launch a sweep")
tabs = st.tabs(["Studies", "New sweep"] if can_launch else ["Studies"])
TRIAL_COLUMNS = {
    "run_id": st.column_config.NumberColumn("run", format="%d"),
    "duration_s": st.column_config.NumberColumn("duration (s)", format="%.1f"),
}


@st.fragment(run_every=10)
def sweeps_table() -> None:
    frame = sweep_services.sweeps_frame()
    st.caption(f"{len(frame)} sweep(s) · live: refreshes every 10 s")
    st.dataframe(
        frame,
        hide_index=True,
        width="stretch",
        key="sweeps_table",
        column_config={
            "done": st.column_config.ProgressColumn(
                "done",
                min_value=0,
                max_value=int(max(frame["budget"].max(), frame["done"].max())),
                format="%d",
            )
        },
    )


@st.fragment(run_every=10)
def study_progress(name: str) -> None:
    o = sweep_services.overview(name)
    c = st.columns([1, 1, 1, 1, 2])
    c[0].metric("State", o["state"])
    c[1].metric("Done", f"{o['done']} / {o['budget']}")
    c[2].metric("Running", o["running"])
    c[3].metric("Pruned · failed", f"{o['pruned']} · {o['failed']}")
    c[4].metric("Best", o["best"] or "—")
    st.progress(min(o["done"] / o["budget"], 1.0))
    st.markdown("**Trials** — each one a run: click a row to open its curves, config and files")
    trials = sweep_services.trials_frame(name)
    event = st.dataframe(
        trials,
        hide_index=True,
        width="stretch",
        key="sweeps_trials",
        column_config=TRIAL_COLUMNS,
        on_select="rerun",
        selection_mode="single-row",
    )
    rows = event.selection.rows if event else []
    if rows and not pd.isna(trials.iloc[rows[0]]["run_id"]):
        run_id = int(trials.iloc[rows[0]]["run_id"])
        st.page_link(  # in place: no new tab paying a fresh page load
            "views/run.py", label=f"Open run {run_id}", icon=":material/monitoring:",
            query_params={"run": str(run_id)},
        )  # fmt: skip
    best = sweep_services.best_frame(name)
    several = len(sweep_services.objective_names(name)) > 1
    st.markdown("**Pareto-optimal trials**" if several else "**Best trial**")
    if best.empty:
        st.caption("No trial has completed yet.")
    else:
        st.dataframe(best, hide_index=True, key="sweeps_best", column_config=TRIAL_COLUMNS)


def actions(name: str) -> None:
    a1, a2, a3 = st.columns(3)
    with a1.popover("Stop", icon=":material/stop:"):
        how = st.radio(
            "Running trials",
            ["finish", "cancel"],
            key="sweeps_stop_how",
            help="No new trials start either way.",
        )
        if st.button("Stop the sweep", key="sweeps_stop", type="primary"):
            try:
                cancelled = sweep_services.stop(name, cancel_running=how == "cancel")
            except UserError as exc:
                st.error(str(exc))
            else:
                note = f"; cancelling runs {cancelled}" if cancelled else ""
                store_changed(f"{name} stopped{note}")
    with a2.popover("Resume", icon=":material/play_arrow:"):
        workers = st.number_input("Workers", 1, 64, 1, key="sweeps_resume_workers")
        if st.button("Resume the sweep", key="sweeps_resume", type="primary"):
            try:
                sweep_services.resume(name, int(workers))
            except UserError as exc:
                st.error(str(exc))
            else:
                store_changed(f"{name}: {workers} worker(s) started")
    with a3.popover("Enqueue a trial", icon=":material/playlist_add:"):
        choices = launch_services.run_choices()
        run_id = st.selectbox(
            "Parameters of run", list(choices), format_func=choices.get, key="sweeps_enqueue_run"
        )
        if st.button("Enqueue", key="sweeps_enqueue", disabled=run_id is None):
            try:
                sweep_services.enqueue(name, run_id)
            except UserError as exc:
                st.error(str(exc))
            else:
                store_changed(f"queued a trial with run {run_id}'s parameters")


def figures(name: str) -> None:
    objectives = sweep_services.objective_names(name)
    objective = 0
    if len(objectives) > 1:
        objective = st.radio(
            "Objective",
            range(len(objectives)),
            format_func=objectives.__getitem__,
            horizontal=True,
            key="sweeps_objective",
        )
    # Lazy tabs: only the open one draws its figure (importances and contours take seconds).
    tabs = st.tabs(list(sweep_services.FIGURES.values()), key="sweeps_figure", on_change="rerun")
    for tab, (key, title) in zip(tabs, sweep_services.FIGURES.items(), strict=True):
        if not tab.open:
            continue
        with tab:
            fig, why = sweep_services.figure(name, key, objective)
            if fig is None:
                st.info(f"{title}: {why}.")
            else:
                st.plotly_chart(fig, key=f"sweeps_fig_{key}")


def show_sweep_cost(spec) -> bool:
    """The sweep's projected cost and each budget's share; True when the user confirmed
    going past a soft budget."""
    projection, uses = sweep_services.sweep_cost(spec)
    if projection is None:
        st.caption("Projected cost: not known here (no price or shape for the base config).")
    else:
        usd = "no price" if projection.usd is None else f"${projection.usd:,.2f}"
        st.markdown(f"**Projected cost: {usd}, {projection.device_hours:,.2f} device-hours**")
        st.caption(f"Assumptions: {projection.basis}; trials at the base config's size.")
    show_budget_uses(uses)
    return any(u.over for u in uses) and st.checkbox(
        "Launch past a soft budget (recorded with the sweep)", key="sweeps_confirm_over_budget"
    )


def render_new_sweep() -> None:
    spec, problems = render_sweep_form()
    for problem in problems:
        st.error(problem)
    workers = st.number_input("Workers on this server", 1, 64, 2, key="sweeps_workers")
    confirmed = spec is not None and show_sweep_cost(spec)
    if st.button("Launch sweep", type="primary", key="sweeps_launch", disabled=spec is None):
        try:
            sweep_services.launch(spec, int(workers), confirmed)
        except UserError as exc:
            st.error(str(exc))
        else:
            st.query_params["study"] = spec.study  # the Studies tab opens the new sweep
            store_changed(f"Sweep {spec.study} started with {workers} worker(s).")


with tabs[0]:
    names = sweep_services.sweep_names()
    if not names:
        st.info(
            "No sweeps yet. Start one under *New sweep*, or from a terminal: "
            "`paretolab sweep run configs/sweeps/tiny.yaml --workers 2`."
        )
    else:
        sweeps_table()
        requested = st.query_params.get("study", "")
        name = st.selectbox(
            "Study",
            names,
            index=names.index(requested) if requested in names else 0,
            key="sweeps_pick",
        )
        st.query_params["study"] = name
        if access.permitted("change a sweep", sweep_services.owner(name)):
            actions(name)
        study_progress(name)
        st.subheader("Figures")
        figures(name)
        with st.expander("Spec and optuna-dashboard"):
            st.code(sweep_services.spec_yaml(name), language="yaml")
            st.caption("Optuna's own dashboard opens the same storage:")
            st.code(sweep_services.optuna_dashboard_command(), language="bash")

if can_launch:
    with tabs[1]:
        render_new_sweep()
