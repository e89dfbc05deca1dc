"""The paretolab dashboard: `streamlit run dashboard/app.py` (or `make run`).

This file only passes the sign-in gate and builds the navigation; each page is a short script
under views/ (not pages/, which Streamlit would also list as a legacy multipage app while the
navigation loads).
"""

import streamlit as st

from dashboard import services
from dashboard.components.sign_in import gate

st.set_page_config(page_title="paretolab", page_icon="📈", layout="wide")
gate()  # with sign-in on (PARETOLAB_USERS or OIDC), nothing below runs until someone signs in

# No Launch page for whoever may not launch (a read-only demo, a viewer): the services
# refuse their launches too.
launch = (
    [st.Page("views/launch.py", title="Launch", icon=":material/rocket_launch:")]
    if services.permitted("launch a run")
    else []
)
navigation = st.navigation(
    {
        "Experiments": [
            st.Page("views/runs.py", title="Runs", icon=":material/table_rows:", default=True),
            *launch,
            st.Page(
                "views/run.py", title="Run detail", icon=":material/monitoring:", url_path="run"
            ),
            st.Page("views/compare.py", title="Compare", icon=":material/compare_arrows:"),
            st.Page("views/sweeps.py", title="Sweeps", icon=":material/tune:"),
            st.Page(
                "views/attention.py",
                title="Look inside",
                icon=":material/visibility:",
                url_path="attention",
            ),
        ],
        "Business": [
            st.Page(
                "views/business.py",
                title="What quality costs",
                icon=":material/payments:",
                url_path="business",
            ),
        ],
    }
)
navigation.run()
