"""Entry point: page set-up and navigation. Run with ``make run``."""

from pathlib import Path

import streamlit as st

import access

st.set_page_config(page_title="Field labeller · Sentinel-2 x4", layout="wide")

#: The pages: script, title; the first is the default, at the app's root address.
PAGES = [
    ("views/pages/area.py", "1 · Area"),
    ("views/pages/enhance.py", "2 · Enhance & compare"),
    ("views/pages/label.py", "3 · Label fields"),
    ("views/pages/sets.py", "4 · Label sets"),
    ("views/pages/stats.py", "5 · Statistics"),
]
access.file_cookie()  # login on: what lets this browser upload and download once signed in
if access.users() and not access.signed_in():
    # Login on: nothing else exists until signed in. Every page's address shows the sign-in
    # form (a shared link asks for it, then opens its page), and there is no menu.
    sign_in = [
        st.Page(access.sign_in_page, title="Sign in", url_path=Path(script).stem, default=i == 0)
        for i, (script, _) in enumerate(PAGES)
    ]
    st.navigation(sign_in, position="hidden").run()
else:
    st.navigation([st.Page(s, title=t, default=i == 0) for i, (s, t) in enumerate(PAGES)]).run()
