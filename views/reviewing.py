"""The Label page's review (not a page itself): the status of the polygons selected in the table,
Accept and Reject for reviewers (keys A and R, ``views.keys``), and Next unreviewed / Next
unlabelled to walk the set (:mod:`labels.review`); the legend of the map's review outlines.

Who reviews: anyone with the login off, only the users in ``[login] reviewers`` with it on
(``access.may_review``); the others see the status and can walk the set, not change it.
The walk selects the polygon's row in the table, as a click on it does: the map zooms to it.
A review is a save like any other (undo, conflicts, the status line under the map).
"""

from __future__ import annotations

import hashlib
from typing import Any

import streamlit as st

import access
from labels.classes import set_classes
from labels.features import Feature
from labels.review import ACCEPTED, DRAFT, REJECTED, counts, next_index, status, unlabelled
from labels.session import LabelSession
from views.common import attempt
from views.label_state import LabelPageState
from views.markdown import plain
from webmap.label_layers import REVIEW_OUTLINES

NEXT_UNREVIEWED, NEXT_UNLABELLED = "Next unreviewed", "Next unlabelled"
ACCEPT, REJECT = "Accept selected", "Reject selected"
REASON = "Reason for rejecting"
NOT_A_REVIEWER = (
    "Only reviewers accept or reject polygons: ask to be listed under [login] reviewers."
)
#: Session key of what the last walk has to say (it runs as a button's callback).
_SAID = "review_walk_said"
_WANTED = {NEXT_UNREVIEWED: "unreviewed", NEXT_UNLABELLED: "unlabelled"}
_HELP = {
    NEXT_UNREVIEWED: "Select the next draft polygon after the selected one, round the set; "
    "the map zooms to it. Key: N.",
    NEXT_UNLABELLED: "Select the next polygon without a class of this set's list (imports keep "
    "classes the set does not list) after the selected one, round the set.",
    ACCEPT: "Key: A. On the map, an accepted polygon's outline is solid.",
    REJECT: "With the reason typed. Key: R, outside the reason field. On the map, a rejected "
    "polygon's outline is dark red and dashed.",
}


def table_key(set_name: str, count: int) -> str:
    """The widget key of the Label page's table of ``count`` polygons: a new table when
    polygons come or go; the walk selects a row through it."""
    return f"label_table_{set_name}_{count}"


def review_columns(feature: Feature) -> dict[str, Any]:
    """A polygon's review, as the table shows it."""
    return {"review": status(feature), "reason": feature["properties"].get("review_reason") or ""}


def review_panel(
    session: LabelSession, state: LabelPageState, snapshot: dict[str, Any], chosen: list[Feature]
) -> None:
    """Below the table: the set's review counts and the walk; for the ``chosen`` polygons their
    status and, for a reviewer, Accept and Reject (with the reason a rejection needs)."""
    features = snapshot["features"]
    walk = (features, list(set_classes(snapshot)), table_key(session.name, len(features)))
    w1, w2, w3 = st.columns([6, 1.5, 1.5], vertical_alignment="center")
    w1.caption("Review: " + ", ".join(f"{n} {s}" for s, n in counts(features).items()) + ".")
    for column, label in ((w2, NEXT_UNREVIEWED), (w3, NEXT_UNLABELLED)):
        column.button(
            label,
            on_click=_walk,
            args=(*walk, label),
            help=_HELP[label],
        )
    said = st.session_state.pop(_SAID, None)
    if said:
        st.info(said)
    if not chosen:
        return
    st.caption(describe(chosen))
    if not access.may_review():
        st.caption(NOT_A_REVIEWER)
        return
    r1, r2, r3 = st.columns([6, 1.5, 1.5], vertical_alignment="bottom")
    reasons = {f["properties"].get("review_reason") or "" for f in chosen}
    reason = r1.text_input(
        REASON,
        reasons.pop() if len(reasons) == 1 else "",
        placeholder="What to fix: required to reject",
        key=_reason_key(chosen),  # a new field for other polygons, or once they are saved
    )
    for column, label, verdict in ((r2, ACCEPT, ACCEPTED), (r3, REJECT, REJECTED)):
        if column.button(label, help=_HELP[label]):
            _review(session, state, snapshot, chosen, verdict, reason)


def describe(chosen: list[Feature]) -> str:
    """The review of the selected polygons, as plain text for a Markdown element."""
    if len(chosen) > 1:
        tally = ", ".join(f"{n} {s}" for s, n in counts(chosen).items() if n)
        return f"Review of the {len(chosen)} selected: {tally}."
    props, verdict = chosen[0]["properties"], status(chosen[0])
    if verdict == DRAFT:
        return "Review: draft, not reviewed yet."
    who, when = (plain(props.get(k) or "?") for k in ("reviewed_by", "reviewed_at"))
    reason = f": {plain(props.get('review_reason'))}" if verdict == REJECTED else ""
    return f"Review: {verdict} by {who}, {when}{reason}."


def outlines_legend() -> str:
    """How the map outlines each review status, as HTML for the Label page's legend of classes:
    a sample outline per status, in a neutral grey where the map uses the class colour."""
    samples = (
        f'<span style="border:{o["weight"]}px {"dashed" if o["dashArray"] else "solid"} '
        f'{o["color"] or "#777"};padding:0 6px;margin-right:6px">{verdict}</span>'
        for verdict, o in REVIEW_OUTLINES.items()
    )
    return "Review outlines: " + " ".join(samples)


def _review(
    session: LabelSession,
    state: LabelPageState,
    snapshot: dict[str, Any],
    chosen: list[Feature],
    verdict: str,
    reason: str,
) -> None:
    """Save the ``verdict`` on the ``chosen`` polygons and show it, or say why not."""
    done = attempt(lambda: session.review(chosen, verdict, snapshot, reason))
    if done is not None:
        n = done.applied
        state.after_save(done, session.name, f"{n} polygon{'' if n == 1 else 's'} {verdict}", True)
        st.rerun()


def _walk(features: list[Feature], classes: list[str], key: str, label: str) -> None:
    """Select the next polygon the button ``label`` asks for (a class outside ``classes`` is
    none), after the selected one, in the table ``key``; or say there is none (a callback: it
    runs before the page)."""
    rows = list((st.session_state.get(key) or {}).get("selection", {}).get("rows", []))
    current = max(rows) if rows else None
    wanted = {
        NEXT_UNREVIEWED: lambda f: status(f) == DRAFT,
        NEXT_UNLABELLED: lambda f: unlabelled(f, classes),
    }[label]
    found = next_index(features, current, wanted)
    if found is None:
        st.session_state[_SAID] = f"No {_WANTED[label]} polygon in this set."
    elif rows == [found]:
        st.session_state[_SAID] = f"This is the only {_WANTED[label]} polygon left."
    else:
        st.session_state[key] = {"selection": {"rows": [found], "columns": [], "cells": []}}


def _reason_key(chosen: list[Feature]) -> str:
    """The reason field's widget key for these polygons at these revisions."""
    seen = ",".join(f"{f['id']}:{f['properties'].get('rev')}" for f in chosen)
    return "review_reason_" + hashlib.sha1(seen.encode()).hexdigest()[:16]
