"""The Label page's shape editing (not a page itself): polygons selected on the map, and what is
done to the selection: split, hole (drawn on the map, :func:`labels.shapes.plan`), merge,
reclassify (the table's Set class acts on it too).

The selection is the table's selected rows, then the polygons picked on the map in select mode
(a click toggles the polygon under it), in the order they were picked: the first selected is
the one a merge keeps.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from labels.edits import Edits
from labels.features import Feature, LabelError
from labels.session import LabelSession
from labels.shapes import merge, under
from views.common import attempt
from views.label_state import LabelPageState
from views.markdown import plain

PICK = "Select on the map: click polygons"
PICK_HELP = (
    "A click on a polygon selects it, drawn bold; a second click unselects it. With one "
    "selected, a line drawn across it with the ⟋ tool splits it, and a polygon drawn inside it "
    "is cut out as a hole. Two or more that share an edge can be merged (the first selected "
    "keeps its class); Set class below the table gives them all one class."
)
MERGE, CLEAR = "⧉ Merge selected", "Clear selection"
_KEY = "label_picks"


@dataclass
class Picks:
    """The polygons picked on the map: of set ``name``, their ``ids`` in the order picked, the
    last click read (the map's key and the click as JSON: the map reports it again with every
    rerun), and whether the map on screen was built to report clicks for picking."""

    name: str = ""
    ids: list[str] = field(default_factory=list)
    clicked: str = ""
    on_map: bool = False


def _picks() -> Picks:
    if _KEY not in st.session_state:
        st.session_state[_KEY] = Picks()
    picks: Picks = st.session_state[_KEY]
    return picks


def pick_mode(side: DeltaGenerator, state: LabelPageState, suggesting: bool) -> bool:
    """The sidebar's select mode switch (off while suggesting: both read clicks on the map);
    turning it on or off builds the map anew, reporting clicks or not, and drops the picks."""
    on = bool(side.toggle(PICK, help=PICK_HELP, disabled=suggesting)) and not suggesting
    picks = _picks()
    if on != picks.on_map:
        picks.on_map, picks.ids = on, []
        state.remount()
    return on


def selection(
    state: LabelPageState, shown: dict[str, Any], name: str, clicked: dict[str, float] | None
) -> list[Feature]:
    """The selected polygons of set ``name`` (``shown``): the table's rows, then those picked on
    the map; ``clicked``, the map's last click in select mode, toggles the polygon under it when
    it is a new click."""
    features, picks = shown["features"], _picks()
    if picks.name != name:
        picks.name, picks.ids = name, []
    text = state.map_key + json.dumps(clicked, sort_keys=True)  # a map built anew: a new click
    if clicked and text != picks.clicked:
        picks.clicked = text
        hit = under(features, clicked["lng"], clicked["lat"])
        if hit is not None:
            ids = picks.ids
            picks.ids = (
                [i for i in ids if i != hit["id"]] if hit["id"] in ids else ids + [hit["id"]]
            )
    return with_picks([features[i] for i in state.zoomed if i < len(features)], features)


def with_picks(chosen: list[Feature], features: list[Feature]) -> list[Feature]:
    """``chosen`` (the table's rows) and then the polygons of ``features`` picked on the map."""
    by_id = {f["id"]: f for f in features}
    picks = _picks()
    picks.ids = [i for i in picks.ids if i in by_id]  # split, merged or deleted meanwhile
    return chosen + [by_id[i] for i in picks.ids if by_id[i] not in chosen]


def describe(chosen: list[Feature]) -> str:
    """What can be done with the selection, in words (class names escaped)."""
    if not chosen:
        return "Click polygons on the map to select them."
    classes = ", ".join(plain(f["properties"]["crop_class"]) for f in chosen)
    if len(chosen) == 1:
        return (
            f"1 selected ({classes}): draw a line across it (⟋) to split it, or a polygon "
            "inside it to cut a hole."
        )
    return f"{len(chosen)} selected ({classes}): merge them, or set their class below the table."


def shape_row(
    session: LabelSession,
    shown: dict[str, Any],
    chosen: list[Feature],
    state: LabelPageState,
    name: str,
) -> None:
    """The row above the map in select mode: what is selected, Merge and Clear."""
    r1, r2, r3 = st.columns([6, 1.5, 1.5], vertical_alignment="center")
    r1.caption(describe(chosen))
    if r2.button(MERGE, disabled=len(chosen) < 2 or not session.annotator):
        try:
            done = merge(chosen)
        except LabelError as err:
            st.warning(f"Nothing was merged: {plain(err)}.")
            return
        edits = Edits(done.upserts, done.deletes, notes=[done.what])
        saved = attempt(lambda: session.save(edits, shown, {}))
        if saved is not None:
            state.after_save(saved, name, done.what, undoable=True)
            st.rerun()
    if r3.button(CLEAR, disabled=not _picks().ids):
        _picks().ids = []
        st.rerun()
