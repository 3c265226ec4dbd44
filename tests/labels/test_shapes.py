"""Split, merge and holes (labels.shapes): the outlines made, what they keep, what is refused,
and one undo of each in a real store."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from shapely.geometry import Polygon, box, mapping, shape

from labels.edits import Changes, Edits, NewPolygonRules, new_polygon
from labels.features import LabelError, new_feature
from labels.geometry import area_ha
from labels.session import LabelSession
from labels.shapes import cut_hole, merge, plan, split, under
from labels.store import LabelStore

CRS = "EPSG:32633"
RULES = NewPolygonRules(crop_class="maize", annotator="ben", scene_id="demo", image="original")


def field(west, south, east, north, crop="maize", annotator="ana"):
    return new_feature(mapping(box(west, south, east, north)), crop, annotator, "demo", "original")


def line(*points):
    return {"type": "LineString", "coordinates": [list(p) for p in points]}


def vertices(feature):
    return {tuple(p) for ring in feature["geometry"]["coordinates"] for p in ring}


def test_a_line_across_a_polygon_splits_it_in_two_that_keep_its_class():
    original = field(12.591, 52.476, 12.594, 52.478)
    done = split(original, line((12.5925, 52.475), (12.5925, 52.479)))
    assert done.deletes == [original["id"]]
    assert len(done.upserts) == done.added == 2
    a, b = done.upserts
    for piece in (a, b):
        assert piece["id"] != original["id"] and piece["properties"]["id"] == piece["id"]
        assert piece["properties"]["crop_class"] == "maize"
        assert piece["properties"]["annotator"] == "ana"
        assert piece["properties"]["split_from"] == original["id"]
    assert a["id"] != b["id"]
    whole = area_ha(original["geometry"], CRS)
    halves = area_ha(a["geometry"], CRS) + area_ha(b["geometry"], CRS)
    assert halves == pytest.approx(whole, rel=1e-6)
    assert shape(a["geometry"]).intersection(shape(b["geometry"])).area == pytest.approx(0)
    assert len(vertices(a) & vertices(b)) == 2  # the cut's two ends, the same in both


def test_the_pieces_of_a_reviewed_polygon_are_drafts_again():
    original = field(12.591, 52.476, 12.594, 52.478)
    original["properties"].update(review="accepted", reviewed_by="rev", reviewed_at="2026-12-04")
    for piece in split(original, line((12.5925, 52.475), (12.5925, 52.479))).upserts:
        assert piece["properties"]["review"] == "draft"  # the review was of the whole field
        assert piece["properties"].get("reviewed_by") is None


def test_a_zigzag_line_crossing_twice_makes_three_polygons():
    original = field(12.591, 52.476, 12.594, 52.478)
    cut = line((12.592, 52.475), (12.592, 52.479), (12.593, 52.479), (12.593, 52.475))
    assert len(split(original, cut).upserts) == 3


@pytest.mark.parametrize(
    "cut",
    [
        line((12.5925, 52.475), (12.5925, 52.477)),  # ends inside
        line((12.590, 52.475), (12.590, 52.479)),  # misses it
        {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]},
    ],
)
def test_a_line_that_does_not_cross_the_polygon_fully_splits_nothing(cut):
    with pytest.raises(LabelError, match="line"):
        split(field(12.591, 52.476, 12.594, 52.478), cut)


def test_neighbours_merge_into_one_with_the_first_selected_class_said_in_the_message():
    a, b = field(12.591, 52.476, 12.593, 52.478), field(12.593, 52.476, 12.595, 52.478, "wheat")
    done = merge([a, b])
    [merged] = done.upserts
    assert done.deletes == [b["id"]] and done.added == 0
    assert merged["id"] == a["id"] and merged["properties"]["crop_class"] == "maize"
    assert shape(merged["geometry"]).equals(box(12.591, 52.476, 12.595, 52.478))
    assert "wheat dropped" in done.what


@pytest.mark.parametrize("seed", range(12))
def test_a_neighbour_clipped_against_a_slanted_edge_merges_without_a_gap(seed):
    # its corners on the field's edge are rounded to 1e-7 degrees, off the edge: a plain union
    # of the two is two polygons a hair apart in about a quarter of such cases
    rng = random.Random(seed)
    east = 12.593 + rng.random() * 1e-4
    slanted = [(12.591, 52.476), (east, 52.4761234), (12.5941, 52.4783), (12.591, 52.478)]
    a = new_feature(mapping(Polygon(slanted)), "maize", "ana", "demo", "original")
    south = 52.4765 + rng.random() * 1e-3
    drawn = mapping(box(12.5925 + rng.random() * 1e-4, south, 12.596, south + 7e-4))
    b = new_feature(new_polygon(drawn, [a["geometry"]], RULES), "maize", "ana", "demo", "original")
    [merged] = merge([a, b]).upserts
    outline = shape(merged["geometry"])
    assert outline.geom_type == "Polygon" and not list(outline.interiors)
    both = area_ha(a["geometry"], CRS) + area_ha(b["geometry"], CRS)
    assert area_ha(merged["geometry"], CRS) == pytest.approx(both, abs=1e-4)  # within 1 m²


@pytest.mark.parametrize(
    "other",
    [(12.594, 52.476, 12.595, 52.478), (12.593, 52.478, 12.595, 52.479)],  # apart; a corner
)
def test_polygons_that_share_no_edge_are_not_merged(other):
    with pytest.raises(LabelError, match="share an edge"):
        merge([field(12.591, 52.476, 12.593, 52.478), field(*other)])


def test_one_polygon_is_not_a_merge():
    with pytest.raises(LabelError, match="two or more"):
        merge([field(12.591, 52.476, 12.593, 52.478)])


def test_a_polygon_inside_becomes_a_hole_and_one_across_the_edge_is_refused():
    outer = field(12.591, 52.476, 12.594, 52.478)
    [holed] = cut_hole(outer, mapping(box(12.592, 52.4765, 12.593, 52.4775))).upserts
    assert holed["id"] == outer["id"]
    assert len(holed["geometry"]["coordinates"]) == 2  # the outline and one hole
    assert shape(holed["geometry"]).area == pytest.approx(box(0, 0, 3, 2).area * 1e-6 - 1e-6)
    with pytest.raises(LabelError, match="wholly inside"):
        cut_hole(outer, mapping(box(12.593, 52.4765, 12.595, 52.4775)))
    with pytest.raises(LabelError, match="in pieces"):
        cut_hole(outer, mapping(box(12.592, 52.476, 12.593, 52.478)))


def test_plan_splits_or_cuts_the_selected_polygon_and_refuses_a_line_without_one():
    a, b = field(12.591, 52.476, 12.594, 52.478), field(12.594, 52.476, 12.596, 52.478)
    cut = line((12.5925, 52.475), (12.5925, 52.479))
    edits = plan(Changes(new=[cut]), [a, b], RULES, [a])
    assert edits.added == 2 and edits.deletes == [a["id"]]
    assert edits.summary() == "2 new, 0 edited, 1 deleted: split into 2 polygons"
    edits = plan(Changes(new=[cut]), [a, b], RULES, [])
    assert not edits and "select one polygon" in edits.refused[0].reason
    inner = mapping(box(12.592, 52.4765, 12.593, 52.4775))
    edits = plan(Changes(new=[inner]), [a, b], RULES, [a])
    assert [f["id"] for f in edits.upserts] == [a["id"]] and edits.notes == ["a hole cut"]
    edits = plan(Changes(new=[inner]), [a, b], RULES, [b])  # inside a, not the selected one
    assert not edits and edits.refused[0].reason.endswith("select the polygon first)")
    across = mapping(box(12.593, 52.4765, 12.595, 52.4775))  # over the edge: a new polygon
    edits = plan(Changes(new=[across]), [a, b], RULES, [a])
    assert edits.added == 0 and "inside its neighbours" in edits.refused[0].reason
    outside = mapping(box(12.593, 52.478, 12.595, 52.479))
    [new] = plan(Changes(new=[outside]), [a, b], RULES, [a]).upserts
    assert new["properties"]["annotator"] == "ben" and new["id"] not in (a["id"], b["id"])


def test_one_undo_brings_back_what_a_split_or_a_merge_changed(tmp_path: Path):
    session = LabelSession(LabelStore(tmp_path), "shapes", "ben")
    a, b = field(12.591, 52.476, 12.593, 52.478), field(12.593, 52.476, 12.595, 52.478)
    session.store.apply("shapes", [a, b])
    shown = session.load()
    cut = line((12.592, 52.475), (12.592, 52.479))
    saved = session.save(plan(Changes(new=[cut]), shown["features"], RULES, [a]), shown, {})
    assert len(session.load()["features"]) == 3
    session.revert(saved.batch)
    shown = session.load()
    assert sorted(f["id"] for f in shown["features"]) == sorted([a["id"], b["id"]])
    edits = merge(shown["features"])
    saved = session.store.apply("shapes", edits.upserts, edits.deletes, who="ben")
    assert len(session.load()["features"]) == 1
    session.revert(saved.batch)
    back = {f["id"]: f["geometry"] for f in session.load()["features"]}
    assert back == {a["id"]: a["geometry"], b["id"]: b["geometry"]}


def test_under_finds_the_polygon_holding_a_point():
    a, b = field(12.591, 52.476, 12.593, 52.478), field(12.593, 52.476, 12.595, 52.478)
    assert under([a, b], 12.594, 52.477) is b
    assert under([a, b], 12.6, 52.477) is None


def test_a_split_or_merge_of_a_polygon_changed_meanwhile_changes_nothing(tmp_path: Path):
    mine, theirs = (LabelSession(LabelStore(tmp_path), "shapes", who) for who in ("ben", "eve"))
    a, b = field(12.591, 52.476, 12.593, 52.478), field(12.593, 52.476, 12.595, 52.478)
    mine.store.apply("shapes", [a, b])
    shown = mine.load()
    theirs.reclassify([theirs.load()["features"][0]], "barley", theirs.load())
    before = mine.load()
    cut = line((12.592, 52.475), (12.592, 52.479))
    saved = mine.save(plan(Changes(new=[cut]), shown["features"], RULES, [a]), shown, {})
    assert saved.conflicts == [a["id"]] and saved.applied == 0
    done = merge(shown["features"])
    edits = Edits(done.upserts, done.deletes, notes=[done.what])
    saved = mine.save(edits, shown, {})
    assert saved.conflicts == [a["id"]] and saved.applied == 0
    assert mine.load()["features"] == before["features"]  # no piece added, b not deleted


def test_undoing_a_split_after_someone_changed_a_piece_changes_nothing(tmp_path: Path):
    mine, theirs = (LabelSession(LabelStore(tmp_path), "shapes", who) for who in ("ben", "eve"))
    a = field(12.591, 52.476, 12.593, 52.478)
    mine.store.apply("shapes", [a])
    shown = mine.load()
    cut = line((12.592, 52.475), (12.592, 52.479))
    split_batch = mine.save(plan(Changes(new=[cut]), [a], RULES, [a]), shown, {}).batch
    pieces = theirs.load()
    theirs.reclassify(pieces["features"][:1], "barley", pieces)
    before = mine.load()
    undone = mine.revert(split_batch)
    assert undone.conflicts and undone.applied == 0
    assert mine.load()["features"] == before["features"]  # the original not back over them
