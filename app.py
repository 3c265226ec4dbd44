"""Entry point: page set-up and navigation. Run with ``make run``."""

import streamlit as st

import access

st.set_page_config(page_title="Field labeller · Sentinel-2 x4", layout="wide")

if access.users() and not access.signed_in():  # login on: nothing else exists until signed in
    pages = [st.Page(access.sign_in_page, title="Sign in", default=True)]
else:
    pages = [
        st.Page("views/area.py", title="1 · Area", default=True),
        st.Page("views/enhance.py", title="2 · Enhance & compare"),
        st.Page("views/label.py", title="3 · Label fields"),
        st.Page("views/sets.py", title="4 · Label sets"),
        st.Page("views/stats.py", title="5 · Statistics"),
    ]
st.navigation(pages).run()
