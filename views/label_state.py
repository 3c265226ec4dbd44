"""The Label page's state between reruns, declared in one place (not a page itself).

Streamlit runs the page script from the top on every interaction, so the page is a state machine;
this is its state and its transitions:

- **open** a set or switch the image drawn on: the snapshot is loaded again and the map remounted;
- **the map reports changes** (``st.session_state[state.map_key]``, stored by st_folium before the
  rerun): they are saved at once and the saved set becomes the snapshot; the map on screen is
  updated in place (``webmap.maps.label_update``, sent as streamlit-folium's
  ``feature_group_to_add``): no rebuild, the view kept, and only what changed since what the map
  holds is sent (``mirror``: the whole set once per map built, or when the map asks for it);
- **undo / redo** revert a batch of the journal: the same as a save;
- **drawings refused** stay on the map in red (the same in-place update) until dismissed;
- **a click on a table row** zooms the map to the polygons: moved in place (the same update);
- **suggest mode**: a click on the map proposes an outline, accepted (saved) or rejected.

Each transition is a method of :class:`LabelPageState`; the page calls them and never sets the
state's fields itself. The map is built from the snapshot, never from the file between saves: a
change to its HTML remounts it and wipes what is being drawn, so :meth:`LabelPageState.remount`
is the only way it is rebuilt. Between rebuilds the map reports the same drawings again with
every pan and zoom, until its next edit: drawings already handled (:meth:`LabelPageState.handle`)
are not saved twice.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import streamlit as st

from labels.edits import Changes, Edits, Refused
from labels.store import Saved
from webmap.mirror import Delta, MapMirror

#: ``(centre [lat, lon], zoom)`` to keep where the user was, or ``[[south, west], [north, east]]``.
View = tuple[list[float], int] | list[list[float]]

_KEY = "label_page"
#: The rows of the table of polygons.
Rows = list[dict[str, Any]]


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
        status: the last save's status line, for ``status_for``: the newest message only.
        status_for: the set the status line belongs to.
        alert: the status line says something was not saved.
        before_refused: the status line before refused drawings' reasons were added to it.
        conflicts: ids of polygons whose save lost to another session's change.
        zoomed: table rows the map was last zoomed to.
        refused: drawings that were not saved, shown on the map in red until dismissed.
        handled: the drawings the map last reported that were saved or refused (as JSON).
        suggest_map: whether the current map generation reports clicks (suggest mode).
        clicked: the map click last turned into a suggestion (as JSON).
        proposal: the suggested outline waiting to be accepted (WGS84 GeoJSON), if any.
        proposed_at: the click (longitude, latitude) the proposal is for.
        step: how many times Larger (positive) or Smaller (negative) moved it from the outline
            first proposed there.
        second: the other date suggestions use (its scene id), or "" for none.
        mirror: what the map on screen was sent of the set, to send it only what changed.
        table: ``(snapshot, conflicts, rows)``: the table's rows for that snapshot (the same
            object) and conflicts.
        report: ``(report, JSON)``: the map's last report read (the same object) as JSON.
        ran_at: the session's page run (:data:`views.common.PAGE_RUNS`) in which the page last
            ran.
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
    alert: bool = False
    before_refused: str = ""
    conflicts: list[str] = field(default_factory=list)
    zoomed: tuple[int, ...] = ()
    refused: list[Refused] = field(default_factory=list)
    handled: str = ""
    suggest_map: bool = False
    clicked: str = ""
    proposal: dict[str, Any] | None = None
    proposed_at: tuple[float, float] | None = None
    step: int = 0
    second: str = ""
    mirror: MapMirror = field(default_factory=MapMirror)
    table: tuple[dict[str, Any], tuple[str, ...], Rows] | None = None
    report: tuple[dict[str, Any], str] | None = None
    ran_at: int = -1

    @property
    def map_key(self) -> str:
        """The widget key of the current map generation."""
        return f"label_map_{self.map_rev}"

    def remount(self, view: View | None = None) -> None:
        """Build the map anew on the next run, at ``view`` if given (else where the user was)."""
        if view is not None:
            self.view = view
        self.map_rev += 1

    def view_for_build(self) -> View | None:
        """The view the current generation is built with, fixed at its first run: a new view
        would change the map's HTML and remount it."""
        if self.built_view is None or self.built_view[0] != self.map_rev:
            self.built_view = (self.map_rev, self.view)
        return self.built_view[1]

    def open(self, name: str, stacks: tuple[list[str], list[str]]) -> None:
        """Another set: its own undo and redo ``stacks`` (from its journal), status and view (the
        first set of a session keeps the view it was opened with, from the page's address)."""
        self.undo, self.redo = stacks
        self.conflicts, self.refused = [], []
        if self.snapshot_for is not None:
            self.view = None
        self.zoomed = ()
        self.snapshot_for = None
        self.status, self.status_for = "", name

    def shown(self, name: str, image: str, read: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        """The snapshot of set ``name`` drawn on ``image``; when it is of another set or image,
        it is ``read()`` again and the map remounted (an outline proposed on another is dropped).
        """
        if self.snapshot is None or self.snapshot_for != (name, image):
            self.snapshot, self.snapshot_for, self.proposal = read(), (name, image), None
            self.remount()
        return self.snapshot

    def suggest(self, on: bool) -> None:
        """Suggest mode on or off: only a map built for it reports clicks."""
        if on != self.suggest_map:
            self.suggest_map, self.proposal = on, None
            self.remount()

    def dates(self, second: str) -> None:
        """Suggestions now use the other date ``second`` (its scene id; "" for none): an outline
        proposed with another is dropped (its Larger and Smaller would step through regions
        grown on other pixels)."""
        if second != self.second:
            self.second = second
            if self.proposal is not None:
                self.status = "The dates suggestions use changed: click again for an outline."
            self.proposal, self.proposed_at, self.step = None, None, 0

    def moved(self, centre: dict[str, float], zoom: float) -> None:
        """The map reported where it is (``centre`` with ``lat`` and ``lng``): kept for the next
        build and the address."""
        self.view = ([centre["lat"], centre["lng"]], int(zoom))

    def came_back(self, run: int) -> bool:
        """Whether this is the page's first run, or another page ran since its last (``run``:
        the session's page runs, :data:`views.common.PAGE_RUNS`): its map is then a new frame,
        which holds nothing of the set."""
        back = self.ran_at != run - 1
        self.ran_at = run
        return back

    def map_update(self, report: dict[str, Any], fresh: bool = False) -> Delta:
        """What to send the map on screen so that it shows the snapshot, given its last
        ``report``: what changed since it was last sent, or the whole set when it asks or is a
        new frame (``fresh``: :meth:`came_back`)."""
        assert self.snapshot is not None
        self.mirror.read(report)
        return self.mirror.update(self.map_rev, self.snapshot["features"], fresh)

    def rows(self, make: Callable[[dict[str, Any], set[str]], Rows]) -> Rows:
        """The table's rows for the snapshot and conflicts, made by ``make`` once for each."""
        assert self.snapshot is not None
        key = (self.snapshot, tuple(self.conflicts))
        if self.table is None or self.table[0] is not key[0] or self.table[1] != key[1]:
            self.table = (*key, make(self.snapshot, set(self.conflicts)))
        return self.table[2]

    def report_text(self, report: dict[str, Any]) -> str:
        """The map's ``report`` as JSON, its drawings and the stamp of the action that sent
        them (what tells a new report from one read before): made once per report, as it holds
        the whole set and the page reads it again on every run."""
        if self.report is None or self.report[0] is not report:
            drawn = [report.get("all_drawings"), report.get("last_active_drawing")]
            self.report = (report, json.dumps(drawn, sort_keys=True))
        return self.report[1]

    def handle(self, reported: str, changes: Changes) -> None:
        """The drawings the map reported (as JSON) are being saved or refused: not again; the
        polygons edited or deleted on the map (``changes``) are sent to it again if the save
        leaves them as they were (refused, or lost to another session's change)."""
        self.handled = reported
        self.mirror.touched([f["id"] for f in changes.changed], changes.deleted)

    def after_save(self, saved: Saved, name: str, what: str, undoable: bool) -> None:
        """A save or revert reached the file: new snapshot (the map on screen shows it), status
        and undo stack. When every change lost to someone else's (a shape edit, saved whole,
        loses all of it with one conflict), the status says that nothing was saved, as for a
        refused save: the snapshot is then the newer set, and the change is to be made again."""
        self.snapshot, self.alert = saved.data, False
        n = len(saved.conflicts)
        polygons = f"{n} polygon{'' if n == 1 else 's'}"
        if saved.conflicts:
            self.conflicts = list(saved.conflicts)
        if saved.conflicts and not saved.applied:
            self.fail(
                name,
                f"someone else changed the set meanwhile ({polygons} this change touches kept "
                "their version). The page now shows the newer set: check it, and make the "
                "change again if it is still needed.",
            )
            return
        stamp = dt.datetime.now().strftime("%H:%M:%S")
        status = f"Saved at {stamp}: {what}."
        if saved.conflicts:
            status += (
                f" {polygons} changed meanwhile by someone else kept their version; yours was "
                "not applied."
            )
        self.status, self.status_for = status, name
        if undoable and saved.applied:
            self.undo.append(saved.batch)
            self.redo = []

    def after_edits(self, saved: Saved | None, name: str, edits: Edits) -> None:
        """The map's ``edits`` were saved (``saved``), or held only refused drawings (``None``):
        the status says which, and the refused drawings stay on the map in red."""
        if saved is None:
            self.status, self.alert = "", False
        else:
            self.after_save(saved, name, edits.summary(), undoable=True)
        self.refuse(name, edits.refused)

    def after_revert(self, reverted: Saved, name: str, undo: bool) -> None:
        """The newest batch of the undo stack (``undo``) or the redo stack was reverted: the
        revert goes on the other stack, as reverting it is the way back."""
        source, target = (self.undo, self.redo) if undo else (self.redo, self.undo)
        source.pop()
        self.after_save(reverted, name, "undone" if undo else "redone", undoable=False)
        if reverted.applied:
            target.append(reverted.batch)

    def refuse(self, name: str, refused: list[Refused]) -> None:
        """Drawings not saved: kept on the map in red, their reasons added to the status line."""
        if not refused:
            return
        self.refused += refused
        reasons = "; ".join(r.reason for r in refused)
        saved = self.status if self.status_for == name else ""
        self.before_refused = saved
        self.status = f"Not saved (red on the map): {reasons}. {saved}".strip()  # what failed first
        self.status_for, self.alert = name, True

    def dismiss(self) -> None:
        """The refused drawings leave the map, and their reasons the status line."""
        if self.refused:
            self.status, self.alert, self.refused = self.before_refused, False, []

    def fail(self, name: str, message: str) -> None:
        """A save or revert of set ``name`` was refused (``message`` says why): the status line
        says so, in place of what it said before."""
        self.status, self.status_for, self.alert = f"Nothing was saved: {message}", name, True

    def click(self, clicked: dict[str, Any]) -> bool:
        """The map reported a click in suggest mode; whether it is a new one."""
        text = json.dumps(clicked, sort_keys=True)
        new, self.clicked = text != self.clicked, text
        return new

    def propose(
        self,
        name: str,
        proposal: dict[str, Any] | None,
        status: str,
        at: tuple[float, float] | None = None,
        step: int = 0,
    ) -> None:
        """The outline suggested for the click ``at`` (``None`` when there is none, ``status``
        says why), ``step`` times Larger or Smaller."""
        self.proposal, self.status, self.status_for, self.alert = proposal, status, name, False
        self.proposed_at, self.step = at, step

    def no_step(self, name: str, status: str) -> None:
        """Larger or Smaller found nothing: the proposal stays, ``status`` says why."""
        self.status, self.status_for, self.alert = status, name, False

    def accept(self) -> None:
        """The proposed outline is being saved: no longer proposed."""
        self.proposal, self.proposed_at, self.step = None, None, 0

    def reject(self) -> None:
        """The proposed outline is dropped, with its status."""
        self.proposal, self.status, self.alert = None, "", False
        self.proposed_at, self.step = None, 0

    def zoom(self, rows: tuple[int, ...]) -> None:
        """The table rows chosen: the map on screen is moved to them in place and draws them
        bold (``webmap.label_layers.LabelUpdate``), never rebuilt for it."""
        self.zoomed = rows


def page_state() -> LabelPageState:
    """This session's state, created on first use."""
    if _KEY not in st.session_state:  # a view from the page's address (views.workspace)
        st.session_state[_KEY] = LabelPageState(view=st.session_state.pop("map_view", None))
    state: LabelPageState = st.session_state[_KEY]
    return state
