"""The paretolab dashboard: `streamlit run dashboard/app.py` (or `make run`).

This file only builds the navigation; each page is a short script under views/ (not pages/, which
Streamlit would also list as a legacy multipage app while the navigation loads).
"""

import streamlit as st

st.set_page_config(page_title="paretolab", page_icon="📈", layout="wide")

navigation = st.navigation(
    {
        "Experiments": [
            st.Page("views/runs.py", title="Runs", icon=":material/table_rows:", default=True),
            st.Page("views/launch.py", title="Launch", icon=":material/rocket_launch:"),
            st.Page(
                "views/run.py", title="Run detail", icon=":material/monitoring:", url_path="run"
            ),
            st.Page("views/compare.py", title="Compare", icon=":material/compare_arrows:"),
            st.Page(
                "views/attention.py",
                title="Look inside",
                icon=":material/visibility:",
                url_path="attention",
            ),
        ],
    }
)
navigation.run()
