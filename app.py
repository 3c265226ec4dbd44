"""Entry point: page set-up and navigation. Run with ``make run``."""

import gc
from pathlib import Path

import streamlit as st

import access
import views.common  # noqa: F401  what the pages import (torch among it), once per process

if not gc.get_freeze_count():
    # Python's full collections walk every object it tracks: with torch and the app's modules
    # that took 0.2-0.3 s, several times a minute with a large label set open. What exists now
    # (modules, classes, functions) lives as long as the server: it is left out of them
    # (0.05-0.1 s; docs/benchmarks.md, "Round 3").
    gc.freeze()

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
