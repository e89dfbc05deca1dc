"""The floor the browser benchmark sets paretolab's pages against: a bare Streamlit page with
a title, one small table and one small Plotly chart, no paretolab code. What a page of ours
costs beyond this is ours to cut; this much is Streamlit's and the browser's on the machine."""

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

st.set_page_config(page_title="floor", layout="wide")
st.title("Streamlit floor")
st.dataframe(pd.DataFrame({"a": range(20), "b": [x * 0.5 for x in range(20)]}))
if st.query_params.get("chart"):
    st.plotly_chart(go.Figure(go.Scatter(x=list(range(600)), y=list(range(600)))))
