"""The Label page's state between reruns, declared in one place (not a page itself).

Streamlit runs the page script from the top on every interaction, so the page is a state machine;
this is its state and its transitions:

- **open** a set or switch the image drawn on: the snapshot is loaded again and the map remounted;
- **the map reports changes** (``st.session_state[map_key()]``, stored by st_folium before the
  rerun): they are saved at once and the saved set becomes the snapshot; the map on screen is
  updated in place (``webmap.maps.label_update``, sent as streamlit-folium's
  ``feature_group_to_add``): no rebuild, the view kept;
- **undo / redo** revert a batch of the journal: the same as a save;
- **drawings refused** stay on the map in red (the same in-place update) until dismissed;
- **a click on a table row** zooms the map to the polygons: remounted with their bounds.

The map is built from the snapshot, never from the file between saves: a change to its HTML
remounts it and wipes what is being drawn, so :func:`remount_map` is the only way it is rebuilt.
Between rebuilds the map reports the same drawings again with every pan and zoom, until its
next edit: drawings already handled (``handled``) are not saved twice.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import streamlit as st

from labels.edits import Refused
from labels.store import Saved

#: ``(centre [lat, lon], zoom)`` to keep where the user was, or ``[[south, west], [north, east]]``.
View = tuple[list[float], int] | list[list[float]]

_KEY = "label_page"


@dataclass
class LabelPageState:
    """Everything the Label page remembers in a session.

    Attributes:
        snapshot: the label set as last loaded or saved; the map and table show it.
        snapshot_for: ``(set name, image)`` the snapshot was loaded for.
        map_rev: generation of the map; part of its widget key, so a new value remounts it.
        view: the view the map last reported, or the bounds a table click asked for.
        built_view: ``(map_rev, view)``: the view the current generation was built with.
        undo: journal batches that Undo reverts, newest last.
        redo: batches that Redo reverts (the reverts of undone batches), newest last.
        status: the last save's status line, for ``status_for``.
        status_for: the set the status line belongs to.
        conflicts: ids of polygons whose save lost to another session's change.
        zoomed: table rows the map was last zoomed to.
        refused: drawings that were not saved, shown on the map in red until dismissed.
        handled: the drawings the map last reported that were saved or refused (as JSON).
        suggest_map: whether the current map generation reports clicks (suggest mode).
        clicked: the map click last turned into a suggestion (as JSON).
        proposal: the suggested outline waiting to be accepted (WGS84 GeoJSON), if any.
    """

    snapshot: dict[str, Any] | None = None
    snapshot_for: tuple[str, str] | None = None
    map_rev: int = 0
    view: View | None = None
    built_view: tuple[int, View | None] | None = None
    undo: list[str] = field(default_factory=list)
    redo: list[str] = field(default_factory=list)
    status: str = ""
    status_for: str = ""
    conflicts: list[str] = field(default_factory=list)
    zoomed: tuple[int, ...] = ()
    refused: list[Refused] = field(default_factory=list)
    handled: str = ""
    suggest_map: bool = False
    clicked: str = ""
    proposal: dict[str, Any] | None = None


def page_state() -> LabelPageState:
    """This session's state, created on first use."""
    if _KEY not in st.session_state:  # a view from the page's address (views.workspace)
        st.session_state[_KEY] = LabelPageState(view=st.session_state.pop("map_view", None))
    state: LabelPageState = st.session_state[_KEY]
    return state


def map_key(state: LabelPageState) -> str:
    """The widget key of the current map generation."""
    return f"label_map_{state.map_rev}"


def remount_map(state: LabelPageState, view: View | None = None) -> None:
    """Build the map anew on the next run, at ``view`` if given (else where the user was)."""
    if view is not None:
        state.view = view
    state.map_rev += 1


def view_for_build(state: LabelPageState) -> View | None:
    """The view the current generation is built with, fixed at its first run: a new view would
    change the map's HTML and remount it."""
    if state.built_view is None or state.built_view[0] != state.map_rev:
        state.built_view = (state.map_rev, state.view)
    return state.built_view[1]


def open_set(state: LabelPageState, name: str) -> None:
    """Another set: its own undo history, status and view (the first set of a session keeps the
    view it was opened with, from the page's address)."""
    state.undo, state.redo, state.conflicts, state.refused = [], [], [], []
    if state.snapshot_for is not None:
        state.view = None
    state.zoomed = ()
    state.snapshot_for = None
    state.status, state.status_for = "", name


def refuse(state: LabelPageState, name: str, refused: list[Refused]) -> None:
    """Drawings not saved: kept on the map in red, their reasons added to the status line."""
    if not refused:
        return
    state.refused += refused
    reasons = "; ".join(r.reason for r in refused)
    saved = state.status if state.status_for == name else ""
    state.status = f"{saved} Not saved (red on the map): {reasons}.".strip()
    state.status_for = name


def after_save(state: LabelPageState, saved: Saved, name: str, what: str, undoable: bool) -> None:
    """A save or revert reached the file: new snapshot (the map on screen shows it), status and
    undo stack."""
    state.snapshot = saved.data
    stamp = dt.datetime.now().strftime("%H:%M:%S")
    status = f"Saved at {stamp}: {what}."
    if saved.conflicts:
        n = len(saved.conflicts)
        status += (
            f" {n} polygon{'' if n == 1 else 's'} changed meanwhile by someone else "
            "kept their version; yours was not applied."
        )
        state.conflicts = list(saved.conflicts)
    state.status, state.status_for = status, name
    if undoable and saved.applied:
        state.undo.append(saved.batch)
        state.redo = []
