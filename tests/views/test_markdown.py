"""Supplied text in Streamlit's Markdown elements is shown as the text it is."""

from __future__ import annotations

import html
import string

import pytest

from views.markdown import plain

HOSTILE = [
    "![t](http://h/x.png)",
    "**b**",
    ":red[x]",
    "$x$",
    "<img src=x>",
    "[a](javascript:1)",
    "x\n# h",
    "# h",
    "- item\n1. item\n> quote",
    '<img src=x onerror="window.__xss = 1">',
    "a\\*b\\",
    "~~s~~ `c` <http://h/> &amp; &#33;",
]


def shown(text: str) -> str:
    """``text`` as a CommonMark renderer writes it as HTML text (lines joined by spaces)."""
    return html.escape(" ".join(text.splitlines()), quote=False).replace('"', "&quot;")


@pytest.mark.parametrize("text", HOSTILE)
def test_a_renderer_shows_the_text_itself(text: str):
    markdown_it = pytest.importorskip("markdown_it")  # requirements.txt, tests
    md = markdown_it.MarkdownIt("commonmark")  # raw HTML on, as in unsafe_allow_html
    assert md.renderInline(plain(text)) == shown(text)
    assert md.render(plain(text)) == f"<p>{shown(text)}</p>\n"  # no heading, list, quote
    inside = f'<span style="color:red">{plain(text)}</span>'  # the Label page's legend
    assert md.render(inside) == f'<p><span style="color:red">{shown(text)}</span></p>\n'


def test_every_ascii_punctuation_mark_is_escaped():
    # Streamlit's own syntax (:red[...], $math$, ~~strike~~, :material/icon:) is escaped the
    # same way: a backslash before any ASCII punctuation mark makes it a literal character.
    assert plain(string.punctuation) == "".join(f"\\{c}" for c in string.punctuation)
    assert plain("Ana Müller 2 · été") == "Ana Müller 2 · été"
    assert plain(ValueError("a\r\nb")) == "a b"
