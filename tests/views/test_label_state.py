"""The Label page's state machine, without Streamlit: each transition as the page makes it."""

from __future__ import annotations

import json

from labels.edits import Edits, Refused
from labels.store import Saved
from views.label_state import LabelPageState

EMPTY = {"type": "FeatureCollection", "features": []}
SQUARE = {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}


def saved(batch: str, applied: int = 1, conflicts: list[str] | None = None) -> Saved:
    return Saved(batch, conflicts or [], applied, json.dumps(EMPTY).encode())


def test_a_set_is_read_once_per_set_and_image_and_each_read_builds_a_new_map():
    state, reads = LabelPageState(), []

    def read():
        reads.append(1)
        return EMPTY

    first = state.map_key
    assert state.shown("trial", "original", read) == EMPTY
    assert state.shown("trial", "original", read) == EMPTY
    assert len(reads) == 1 and state.map_key != first
    key = state.map_key
    state.shown("trial", "enhanced", read)
    assert len(reads) == 2 and state.map_key != key


def test_the_first_set_keeps_the_view_from_the_address_and_another_set_starts_afresh():
    state = LabelPageState(view=([52.0, 12.0], 15))
    state.open("trial", (["a"], ["b"]))
    assert state.view == ([52.0, 12.0], 15) and (state.undo, state.redo) == (["a"], ["b"])
    state.shown("trial", "original", lambda: EMPTY)
    state.after_save(saved("c"), "trial", "1 new", undoable=True)
    state.open("other", ([], []))
    assert state.view is None and state.undo == [] and state.status == ""
    assert state.status_for == "other"


def test_undo_moves_a_batch_to_redo_and_a_new_save_clears_redo():
    state = LabelPageState()
    state.after_save(saved("b1"), "trial", "1 new", undoable=True)
    assert state.undo == ["b1"] and "Saved at" in state.status and "1 new" in state.status
    state.after_revert(saved("r1"), "trial", undo=True)
    assert (state.undo, state.redo) == ([], ["r1"]) and "undone" in state.status
    state.after_revert(saved("r2"), "trial", undo=False)
    assert (state.undo, state.redo) == (["r2"], [])
    state.after_revert(saved("r3"), "trial", undo=True)
    state.after_save(saved("b2"), "trial", "1 edited", undoable=True)
    assert (state.undo, state.redo) == (["b2"], [])


def test_a_conflict_is_said_and_its_polygons_remembered():
    state = LabelPageState()
    state.after_save(saved("a", applied=1, conflicts=["x"]), "trial", "2 polygons now rye", True)
    assert state.status.startswith("Saved at") and "rye" in state.status  # one of two saved
    assert "1 polygon changed meanwhile by someone else" in state.status
    assert state.conflicts == ["x"] and state.undo == ["a"]
    state.after_save(saved("b", applied=0, conflicts=["x", "y"]), "trial", "note", True)
    assert state.status.startswith("Nothing was saved: someone else changed the set") and (
        state.alert
    )  # nothing applied: not "Saved at"
    assert "(2 polygons this change touches" in state.status and "newer set" in state.status
    assert state.conflicts == ["x", "y"] and state.undo == ["a"]  # nothing applied: no undo


def test_refused_drawings_stay_until_dismissed_and_the_status_says_why():
    state = LabelPageState()
    refused = [Refused("a new polygon: too small", SQUARE)]
    state.after_edits(saved("b"), "trial", Edits(upserts=[{}], refused=refused, added=1))
    # what failed is said first (the status row shows two lines and a half), then what saved
    assert state.status.startswith("Not saved (red on the map): a new polygon: too small.")
    assert "Saved at" in state.status
    assert state.refused == refused
    state.after_edits(None, "trial", Edits(refused=refused))  # nothing else was drawn
    assert state.status == "Not saved (red on the map): a new polygon: too small."
    state.dismiss()
    assert state.refused == []
    assert "Not saved" not in state.status and not state.alert  # not left behind (bug 6)


def test_a_refused_save_replaces_the_status_line_and_the_next_save_replaces_it():
    # Issue 26, bug 6: a stale "Saved at" stayed under the error that followed it.
    state = LabelPageState()
    state.after_save(saved("b"), "trial", "1 new", True)
    state.fail("trial", "the disk is full")
    assert state.status == "Nothing was saved: the disk is full" and state.alert
    state.after_save(saved("c"), "trial", "1 new", True)
    assert state.status.startswith("Saved at") and not state.alert


def test_a_click_is_proposed_once_and_suggest_mode_off_drops_the_proposal():
    state = LabelPageState()
    state.suggest(True)
    key = state.map_key
    assert state.click({"lat": 1, "lng": 2}) and not state.click({"lng": 2, "lat": 1})
    state.propose("trial", SQUARE, "Suggested")
    assert state.proposal == SQUARE and state.status == "Suggested"
    state.reject()
    assert state.proposal is None and state.status == ""
    state.propose("trial", SQUARE, "Suggested")
    state.suggest(False)
    assert state.proposal is None and state.map_key != key


def test_larger_keeps_the_click_and_nothing_larger_keeps_the_outline_shown():
    state = LabelPageState()
    state.suggest(True)
    state.propose("trial", SQUARE, "Suggested", (2.0, 1.0))
    assert state.proposed_at == (2.0, 1.0) and state.step == 0
    bigger = {**SQUARE, "coordinates": [[[0, 0], [2, 0], [2, 2], [0, 0]]]}
    state.propose("trial", bigger, "Suggested, 1 x larger", state.proposed_at, 1)
    assert state.proposal == bigger and state.step == 1
    state.no_step("trial", "Nothing larger")
    assert state.proposal == bigger and state.step == 1 and state.status == "Nothing larger"
    state.propose("trial", SQUARE, "Suggested", (5.0, 5.0))  # a new click starts again
    assert state.step == 0 and state.proposed_at == (5.0, 5.0)


def test_zooming_to_rows_never_rebuilds_the_map():
    # Issue 26, bug 6: rebuilding it for a table click scrolled the page to its top.
    state = LabelPageState()
    state.moved({"lat": 52.0, "lng": 12.0}, 14)
    key, view = state.map_key, state.view_for_build()
    state.zoom((0, 2))
    assert state.zoomed == (0, 2) and state.map_key == key and state.view_for_build() == view
    state.zoom(())
    assert state.zoomed == () and state.map_key == key


def test_the_map_gets_the_whole_set_once_then_what_changed_and_the_whole_set_when_it_asks():
    one = {"type": "Feature", "id": "a", "geometry": SQUARE, "properties": {"crop_class": "rye"}}
    two = {**one, "id": "b"}
    state = LabelPageState()
    state.shown("trial", "original", lambda: {"type": "FeatureCollection", "features": [one]})
    whole = state.map_update({})
    assert whole.base is None and [f["id"] for f in whole.upserts] == ["a"]
    assert state.map_update({}) is whole  # the next run: the same update, nothing more sent
    state.after_save(saved("b1"), "trial", "1 new", undoable=True)
    state.snapshot = {"type": "FeatureCollection", "features": [one, two]}
    delta = state.map_update({})
    assert delta.base == whole.rev and [f["id"] for f in delta.upserts] == ["b"]
    resync = {"properties": {"event": "label:resync", "stamp": 1}}  # a map that missed it
    again = state.map_update({"last_active_drawing": resync})
    assert again.base is None and [f["id"] for f in again.upserts] == ["a", "b"]


def test_the_page_knows_when_it_comes_back_after_another_page():
    """Its map is then a new frame, holding nothing: it is sent the whole set at once."""
    state = LabelPageState()
    assert state.came_back(1)  # the first run
    assert not state.came_back(2) and not state.came_back(3)  # its own runs
    assert state.came_back(5)  # run 4 was another page's
    assert not state.came_back(6)
