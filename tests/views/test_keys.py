"""The Label page's keys: the listening script presses each button by its label, and the help
lists every key once."""

from __future__ import annotations

import json
import re

from views.keys import SHORTCUTS, shortcuts_script
from views.reviewing import ACCEPT, REJECT
from views.suggesting import ACCEPT as ACCEPT_OUTLINE
from views.suggesting import LARGER, SMALLER
from views.suggesting import REJECT as REJECT_OUTLINE

LABELS = {
    "CLASS_LABEL": "Class of new polygons",
    "UNDO": "↶ Undo",
    "REDO": "↷ Redo",
    "ACCEPT": ACCEPT_OUTLINE,
    "REJECT": REJECT_OUTLINE,
    "LARGER": LARGER,
    "SMALLER": SMALLER,
    "NEXT_POLYGON": "Next unreviewed",
    "ACCEPT_SELECTED": ACCEPT,
    "REJECT_SELECTED": REJECT,
}


def pressed_by(script: str, condition: str) -> str:
    """The label of the button the script presses when ``condition`` holds."""
    found = re.search(re.escape(condition) + r"[^{]*\{ press\(([^)]*)\)", script)
    assert found, f"no button pressed on {condition}"
    return str(json.loads(found[1]))


def test_each_key_presses_its_own_button():
    """A and R press the review's buttons, Enter and Esc still the suggestion's: the label
    of one placeholder never leaks into another that starts like it (ACCEPT, ACCEPT_SELECTED)."""
    script = shortcuts_script(LABELS)
    assert pressed_by(script, 'key === "a"') == ACCEPT
    assert pressed_by(script, 'key === "r"') == REJECT
    assert pressed_by(script, 'e.key === "Enter"') == ACCEPT_OUTLINE
    assert pressed_by(script, 'e.key === "Escape"') == REJECT_OUTLINE
    assert pressed_by(script, 'e.key === "+"') == pressed_by(script, 'e.key === "="') == LARGER
    assert pressed_by(script, 'e.key === "-"') == SMALLER
    assert pressed_by(script, 'key === "n"') == "Next unreviewed"
    assert not re.search(rf"\b({'|'.join(LABELS)})\b", script)  # every placeholder replaced


def test_the_help_lists_each_key_once_with_a_and_r_for_reviewers():
    keys = [k for keys, _ in SHORTCUTS for k in re.split(r", | … ", keys)]
    assert len(keys) == len(set(keys)), keys
    what = dict(SHORTCUTS)
    assert "accept" in what["A"] and "reject" in what["R"] and "reviewers" in what["R"]
