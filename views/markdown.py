"""Supplied text inside Streamlit's Markdown elements (not a page itself)."""

from __future__ import annotations

import re

#: ASCII punctuation: Markdown's syntax (links, images, emphasis, math, Streamlit's ``:red[...]``).
PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")


def plain(text: object) -> str:
    """``text`` (a name, a message that quotes a file or a user) for a Markdown element, shown as
    the text it is: every ASCII punctuation mark escaped and line breaks made spaces, so
    ``![t](http://host/x.png)`` is no image that another user's browser fetches. Every supplied
    string that reaches ``st.error``, ``st.caption``, ``st.markdown``, a widget's label, ...
    goes through it (docs/safety.md)."""
    return PUNCTUATION.sub(r"\\\1", " ".join(str(text).splitlines()))
