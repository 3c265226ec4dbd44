"""Keyboard shortcuts of the Label page (not a page itself).

A script in an invisible component listens to keys on the page and on the map: Ctrl+Z undoes,
Ctrl+Shift+Z or Ctrl+Y redoes, 1-9 choose the class of new polygons, H hides or shows the
polygons, D switches the map between the two dates (``views.dates``), Enter and Esc accept
and reject a suggested outline, + and - try a larger or smaller one, N selects the next
unreviewed polygon, A and R accept and reject the selected polygons (``views.reviewing``: they
press its buttons, which only reviewers have).
While a polygon is being drawn, Enter and Esc finish and cancel it: they belong to the map then
(``webmap.controls``). Keys typed into a text field are left alone.
"""

from __future__ import annotations

import json
import re

import streamlit as st
import streamlit.components.v1 as components

from views.reviewing import ACCEPT as ACCEPT_SELECTED
from views.reviewing import NEXT_UNREVIEWED, REASON
from views.reviewing import REJECT as REJECT_SELECTED

#: The shortcuts, as the help lists them.
SHORTCUTS = [
    ("1 … 9", "class of new polygons"),
    ("Enter", "finish the polygon being drawn; accept the suggested outline"),
    ("Esc", "cancel the polygon being drawn; reject the suggested outline"),
    ("+ (or =) and -", "a larger or smaller suggested outline around the same click"),
    ("Backspace", "remove the last point of the polygon being drawn"),
    ("Ctrl+Z", "undo"),
    ("Ctrl+Shift+Z, Ctrl+Y", "redo"),
    ("H", "hide or show the polygons, to see the image"),
    ("D", "switch the map to the other date and back (when an *Other date* is chosen)"),
    ("N", "select the next unreviewed polygon (the map zooms to it)"),
    ("A", "accept the selected polygons (reviewers)"),
    ("R", f"reject the selected polygons with the *{REASON}* typed (reviewers)"),
]
CLASS_LABEL = "Class of new polygons"

_SCRIPT = """
<script>
(function () {
  const doc = window.parent.document;
  // Streamlit makes this component anew when the page above it changes: the newest one listens.
  try { if (doc.__labelKeysOff) { doc.__labelKeysOff(); } } catch (err) {}
  const press = (text) => {
    const b = [...doc.querySelectorAll("button")].find(
      (b) => b.innerText.trim() === text && !b.disabled);
    if (b) { b.click(); }
  };
  const chooseClass = (n) => {
    const radio = [...doc.querySelectorAll('[data-testid="stRadio"]')].find(
      (r) => r.innerText.startsWith(CLASS_LABEL));
    const options = radio ? radio.querySelectorAll('[role="radiogroup"] label') : [];
    if (options[n]) { options[n].click(); }
  };
  const drawing = () => [...doc.querySelectorAll("iframe")].some((f) => {
    try {
      return [...f.contentDocument.querySelectorAll(".leaflet-draw-actions")].some(
        (a) => a.style.display === "block");
    } catch (err) { return false; }
  });
  // Keys typed into a text field are the field's; a checkbox, toggle or radio keeps the focus
  // after a click, and the shortcuts still work there.
  const CHOICES = ["checkbox", "radio", "button", "submit", "reset", "range", "color", "file"];
  const typing = (t) => !!t && (t.tagName === "TEXTAREA" || t.isContentEditable ||
    (t.tagName === "INPUT" && !CHOICES.includes((t.type || "").toLowerCase())));
  const onKey = (e) => {
    if (typing(e.target)) { return; }
    const key = e.key.toLowerCase(), ctrl = e.ctrlKey || e.metaKey;
    if (ctrl && key === "z") { e.preventDefault(); press(e.shiftKey ? REDO : UNDO); }
    else if (ctrl && key === "y") { e.preventDefault(); press(REDO); }
    else if (!ctrl && e.key === "Enter" && !drawing()) { press(ACCEPT); }
    else if (!ctrl && e.key === "Escape" && !drawing()) { press(REJECT); }
    // a key held down repeats: one step per press
    else if (!ctrl && !e.altKey && !e.repeat &&
             (e.key === "+" || e.key === "=")) { press(LARGER); }
    else if (!ctrl && !e.altKey && e.key === "-" && !e.repeat) { press(SMALLER); }
    else if (!ctrl && !e.altKey && /^[1-9]$/.test(e.key)) { chooseClass(Number(e.key) - 1); }
    else if (!ctrl && !e.altKey && key === "n") { press(NEXT_POLYGON); }
    // a key held down repeats: one review per press
    else if (!ctrl && !e.altKey && key === "a" && !e.repeat) { press(ACCEPT_SELECTED); }
    else if (!ctrl && !e.altKey && key === "r" && !e.repeat) { press(REJECT_SELECTED); }
    else if (!ctrl && !e.altKey && key === "h") {
      doc.querySelectorAll("iframe").forEach((f) => {
        try { f.contentWindow.toggleLabels && f.contentWindow.toggleLabels(); } catch (err) {}
      });
    }
    else if (!ctrl && !e.altKey && key === "d") {
      doc.querySelectorAll("iframe").forEach((f) => {
        try { f.contentWindow.toggleDate && f.contentWindow.toggleDate(); } catch (err) {}
      });
    }
  };
  const docs = new Set([doc]);
  doc.addEventListener("keydown", onKey);
  const timer = setInterval(() => doc.querySelectorAll("iframe").forEach((f) => {
    try {  // maps are remounted: listen on each new one
      const d = f.contentDocument;
      if (d && !docs.has(d)) { docs.add(d); d.addEventListener("keydown", onKey); }
    } catch (err) {}
  }), 500);
  doc.__labelKeysOff = () => {
    clearInterval(timer);
    docs.forEach((d) => d.removeEventListener("keydown", onKey));
  };
})();
</script>
"""


def keyboard_shortcuts(
    undo: str,
    redo: str,
    accept: str,
    reject: str,
    larger: str,
    smaller: str,
    next_polygon: str = NEXT_UNREVIEWED,
    accept_selected: str = ACCEPT_SELECTED,
    reject_selected: str = REJECT_SELECTED,
) -> None:
    """Listen to the keys (on this page and its maps); the arguments are the labels of the
    buttons the keys press (``accept``, ``reject``, ``larger``, ``smaller``: a suggested
    outline's)."""
    labels = {
        "CLASS_LABEL": CLASS_LABEL,
        "UNDO": undo,
        "REDO": redo,
        "ACCEPT": accept,
        "REJECT": reject,
        "LARGER": larger,
        "SMALLER": smaller,
        "NEXT_POLYGON": next_polygon,
        "ACCEPT_SELECTED": accept_selected,
        "REJECT_SELECTED": reject_selected,
    }
    components.html(shortcuts_script(labels), height=0)


def shortcuts_script(labels: dict[str, str]) -> str:
    """The listening script with each placeholder of ``labels`` (a whole word: ``ACCEPT`` is
    not part of ``ACCEPT_SELECTED``) replaced by its label, as a JavaScript string."""
    return re.sub(rf"\b({'|'.join(labels)})\b", lambda m: json.dumps(labels[m[1]]), _SCRIPT)


def shortcuts_help() -> None:
    """The shortcuts, in a popover."""
    with st.popover("⌨ Keys"):
        st.markdown("\n".join(f"- **{keys}**: {what}" for keys, what in SHORTCUTS))
