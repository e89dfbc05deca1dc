"""The paretolab dashboard: `streamlit run dashboard/app.py` (or `make run`).

This file only builds the navigation; each page is a short script under pages/.
"""

import streamlit as st

st.set_page_config(page_title="paretolab", page_icon="📈", layout="wide")

navigation = st.navigation(
    {
        "Experiments": [
            st.Page("pages/runs.py", title="Runs", icon=":material/table_rows:", default=True),
        ],
    }
)
navigation.run()
