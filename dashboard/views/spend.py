"""Spend: what runs cost over time and on what, the waste, and the budgets."""

import plotly.express as px
import streamlit as st

from dashboard.services import access
from dashboard.services import budgets as budget_services
from dashboard.services import spend as spend_services
from paretolab.errors import UserError
from paretolab.periods import parse_day
from paretolab.store import Budget

st.title("Spend")
st.caption(
    "Runs' own bills (their cost/* figures), dated by their start (UTC). Running runs count "
    "what they have used so far and runs stopped before their bill count their hardware's "
    "rate × the time they held it: both are marked estimated. Failed and cancelled runs are "
    "waste."
)
c1, c2, c3 = st.columns(3)
window_name = c1.selectbox("Window", spend_services.WINDOWS, key="spend_window")
period = c2.radio("By", spend_services.PERIODS, index=0, horizontal=True, key="spend_period")
by = c3.selectbox("Group", ["none", *spend_services.GROUPS], index=2, key="spend_group")
since, until = spend_services.window(window_name)
frame = spend_services.spend_frame(None if by == "none" else by, period, since, until)
total = spend_services.totals(spend_services.spend_frame(None, period, since, until))

m = st.columns(5)
m[0].metric("Spent", f"${total['usd']:,.2f}")
m[1].metric("Device-hours", f"{total['device_hours']:,.1f}")
m[2].metric(
    "Energy",
    f"{total['energy_kwh']:,.1f} kWh",
    spend_services.energy_method(total),
    delta_color="off",
    delta_arrow="off",
)
share = total["usd_waste"] / total["usd"] if total["usd"] else 0.0
m[3].metric("Waste", f"${total['usd_waste']:,.2f}", f"{share:.0%} of spend", delta_color="off")
m[4].metric("Estimated", f"${total['usd_estimated']:,.2f}", help="running or unbilled runs")

if frame.empty:
    st.info("No runs started in this window.")
else:
    if by == "tag":
        st.caption("A run with several tags counts under each of them.")
    chart = px.bar(frame, x="period", y="usd", color="group", labels={"usd": "$"})
    st.plotly_chart(chart, key="spend_chart")
    st.dataframe(frame, hide_index=True, width="stretch")

st.subheader("Budgets")
budgets = spend_services.budget_frame()
if budgets.empty:
    st.info("No budgets yet.")
else:
    st.dataframe(budgets, hide_index=True, width="stretch")
    st.caption(
        "Forecast: the mean daily spend of the last 14 whole days run on to the period's end; "
        "the range treats each coming day as a draw from those days (90%)."
    )

if access.is_admin():
    with st.expander("Add or remove a budget (admins)"):
        name = st.text_input("Name", key="spend_budget_name")
        amount = st.number_input("Amount", min_value=0.0, value=1000.0, key="spend_budget_amount")
        unit = st.radio("Unit", ["usd", "device_hours"], horizontal=True, key="spend_budget_unit")
        kind = st.radio("Period", ["month", "quarter", "custom"], horizontal=True, key="spend_bp")
        start = st.text_input("Start (custom)", placeholder="YYYY-MM-DD", key="spend_budget_start")
        end = st.text_input("End (custom)", placeholder="YYYY-MM-DD", key="spend_budget_end")
        scope = st.radio("Scope", ["everyone", "owner", "tag"], horizontal=True, key="spend_scope")
        value = st.text_input("Owner or tag", key="spend_budget_scope_value")
        hard = st.checkbox("Hard (refuse launches past it)", key="spend_budget_hard")
        b1, b2 = st.columns(2)
        try:
            if b1.button("Add budget", key="spend_budget_add", disabled=not name):
                budget_services.add_budget(
                    Budget(
                        name=name,
                        amount=amount,
                        unit=unit,
                        period=kind,
                        scope=scope,
                        scope_value=value or None,
                        hard=hard,
                        starts_at=parse_day(start, "start") if start else None,
                        ends_at=parse_day(end, "end", end=True) if end else None,
                    )
                )
                st.rerun()
            if b2.button("Remove budget", key="spend_budget_remove", disabled=not name):
                budget_services.remove_budget(name)
                st.rerun()
        except UserError as exc:
            st.error(str(exc))
