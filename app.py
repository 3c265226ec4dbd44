"""Entry point: page set-up and navigation. Run with ``make run``."""

import streamlit as st

st.set_page_config(page_title="Field labeller · Sentinel-2 x4", layout="wide")

st.navigation(
    [
        st.Page("pages/area.py", title="1 · Area", default=True),
        st.Page("pages/enhance.py", title="2 · Enhance & compare"),
        st.Page("pages/label.py", title="3 · Label fields"),
        st.Page("pages/sets.py", title="4 · Label sets"),
        st.Page("pages/stats.py", title="5 · Statistics"),
    ]
).run()
