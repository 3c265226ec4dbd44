"""A shape edit that lost to another session's change of the set: the Label page says it was not
saved, shows the newer set, and nothing already saved is lost (two sessions of one set)."""

from __future__ import annotations

import pytest
from shapely.geometry import box, mapping

from labels.features import new_feature
from labels.session import LabelSession
from labels.store import LabelStore
from tests.views.test_pages import AREA, page, texts
from views.shaping import MERGE, PICK


def field(west: float, east: float) -> dict:
    return new_feature(mapping(box(west, 52.476, east, 52.478)), "maize", "ana", "d", "original")


def reported(snapshot: dict, drawn: list[dict]) -> list[dict]:
    """The map's drawings as st_folium reports them: the set's polygons with their ids, then
    what was drawn since."""
    shown = [
        {"type": "Feature", "properties": {"id": f["id"]}, "geometry": f["geometry"]}
        for f in snapshot["features"]
    ]
    return shown + [{"type": "Feature", "properties": {}, "geometry": g} for g in drawn]


@pytest.mark.parametrize("edit", ["split", "merge"])
def test_a_split_or_merge_that_lost_to_another_session_says_nothing_was_saved(
    env, demo_scene, edit
):
    store = LabelStore(env / "labels")
    a, b = field(12.591, 12.593), field(12.593, 12.595)
    store.apply("trial", [a, b], info={"scene_id": demo_scene.stem})
    at = page("label")
    at.query_params.update(
        scene=demo_scene.stem, area=",".join(map(str, AREA)), annotator="ana", set="trial"
    )
    at.run()
    [pick] = [t for t in at.sidebar.toggle if t.label == PICK]
    pick.set_value(True).run()
    for lon in (12.592, 12.594)[: 1 if edit == "split" else 2]:  # select on the map
        at.session_state[at.session_state["label_page"].map_key] = {
            "last_clicked": {"lat": 52.477, "lng": lon}
        }
        at.run()
    assert not at.exception

    theirs = LabelSession(store, "trial", "eve")  # another session changes a meanwhile
    theirs.reclassify([theirs.load()["features"][0]], "barley", theirs.load())
    before = store.load("trial")
    state = at.session_state["label_page"]
    undo = list(state.undo)
    if edit == "split":
        line = {"type": "LineString", "coordinates": [[12.592, 52.475], [12.592, 52.479]]}
        at.session_state[state.map_key] = {
            "all_drawings": reported(state.snapshot, [line]),
            "last_clicked": {"lat": 52.477, "lng": 12.592},
        }
        at.run()
    else:
        [go] = [b for b in at.button if b.label == MERGE]
        go.click().run()
    assert not at.exception

    said = texts(at)
    assert "Saved at" not in said
    [warning] = [m.value for m in at.markdown if "Nothing was saved" in m.value]
    assert warning.startswith(":red-background[")  # marked as what went wrong
    assert "changed the set meanwhile" in warning and "newer set" in warning
    assert store.load("trial")["features"] == before["features"]  # theirs kept, nothing lost
    state = at.session_state["label_page"]
    assert state.undo == undo  # nothing to undo
    shown = {f["id"]: f["properties"]["crop_class"] for f in state.snapshot["features"]}
    assert shown == {a["id"]: "barley", b["id"]: "maize"}  # the page shows the newer set
