"""The paretolab dashboard: `streamlit run dashboard/app.py` (or `make run`).

This file only builds the navigation; each page is a short script under pages/.
"""

import streamlit as st

st.set_page_config(page_title="paretolab", page_icon="📈", layout="wide")

navigation = st.navigation(
    {
        "Experiments": [
            st.Page("pages/runs.py", title="Runs", icon=":material/table_rows:", default=True),
            st.Page("pages/launch.py", title="Launch", icon=":material/rocket_launch:"),
            st.Page(
                "pages/run.py", title="Run detail", icon=":material/monitoring:", url_path="run"
            ),
            st.Page("pages/compare.py", title="Compare", icon=":material/compare_arrows:"),
        ],
    }
)
navigation.run()
