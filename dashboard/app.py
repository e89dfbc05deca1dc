"""The paretolab dashboard: `streamlit run dashboard/app.py` (or `make run`).

This file only builds the navigation and passes the sign-in gate; each page is a short script
under views/ (not pages/, which Streamlit would also list as a legacy multipage app while the
navigation loads).
"""

import streamlit as st

from dashboard.components.sign_in import gate, signed_in
from dashboard.components.store_changed import show_notes
from dashboard.services import access

st.set_page_config(page_title="paretolab", page_icon="📈", layout="wide")
# The navigation comes before the gate, so the page a link asked for (/run?run=2) is known
# while the sign-in form shows, and opened after it; hidden until someone is signed in.
is_signed_in = signed_in()
# No Launch page for whoever may not launch (a read-only demo, a viewer): the services
# refuse their launches too. Before sign-in it is listed, so a link to it is kept.
launch = (
    [st.Page("views/launch.py", title="Launch", icon=":material/rocket_launch:")]
    if not is_signed_in or access.permitted("launch a run")
    else []
)
experiments = [
    st.Page("views/runs.py", title="Runs", icon=":material/table_rows:", default=True),
    *launch,
    st.Page("views/run.py", title="Run detail", icon=":material/monitoring:", url_path="run"),
    st.Page("views/compare.py", title="Compare", icon=":material/compare_arrows:"),
    st.Page("views/sweeps.py", title="Sweeps", icon=":material/tune:"),
    st.Page(
        "views/attention.py",
        title="Look inside",
        icon=":material/visibility:",
        url_path="attention",
    ),
]
business = [
    st.Page(
        "views/business.py",
        title="What quality costs",
        icon=":material/payments:",
        url_path="business",
    ),
    st.Page("views/spend.py", title="Spend", icon=":material/account_balance_wallet:"),
    st.Page("views/models.py", title="Models", icon=":material/inventory_2:", url_path="models"),
]
navigation = st.navigation(
    {"Experiments": experiments, "Business": business},
    position="sidebar" if is_signed_in else "hidden",
)
gate(navigation, [*experiments, *business])  # with sign-in on, nothing below runs until then
show_notes()  # what the last action did, once the page has redrawn from the store
navigation.run()
