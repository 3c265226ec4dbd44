"""The review of polygons: statuses saved on disk like any change, undone, reset when the
outline or the class changes, kept by exports and imports; walking the set."""

import csv
import datetime as dt
from pathlib import Path

import pytest
from shapely.geometry import box, mapping

from labels.edits import NewPolygonRules, diff_drawings, plan_edits
from labels.export import export
from labels.features import LabelError, new_feature
from labels.imports import read_polygons
from labels.review import counts, next_index, status, unlabelled
from labels.session import LabelSession
from tests.labels.conftest import load

FIELDS = ("review", "review_reason", "reviewed_by", "reviewed_at")


def on_disk(label_set: Path) -> dict[str, dict]:
    """Each polygon's properties as the file holds them, by id."""
    return {f["id"]: f["properties"] for f in load(label_set)["features"]}


def reviewer(label_set: Path, name: str = "rita") -> LabelSession:
    return LabelSession.of_file(label_set, name)


def test_new_polygons_are_drafts_and_a_set_without_reviews_counts_them_so(label_set):
    props = on_disk(label_set)
    assert {p["review"] for p in props.values()} == {"draft"}
    old = {"properties": {"crop_class": "maize"}}  # a set saved before reviews existed
    assert status(old) == "draft"
    assert counts(load(label_set)["features"] + [old]) == {
        "draft": 3,
        "accepted": 0,
        "rejected": 0,
    }


def test_accept_and_reject_are_saved_with_who_when_and_why(label_set):
    session = reviewer(label_set)
    shown = session.load()
    first, second = shown["features"]
    before = dt.datetime.now(dt.UTC).replace(microsecond=0)
    session.review([first], "accepted", shown)
    session.review([second], "rejected", session.load(), reason="  misses the\nnorth  corner ")
    props = on_disk(label_set)
    accepted, rejected = props[first["id"]], props[second["id"]]
    assert (accepted["review"], accepted["reviewed_by"], accepted["review_reason"]) == (
        "accepted",
        "rita",
        None,
    )
    assert dt.datetime.fromisoformat(accepted["reviewed_at"]) >= before
    assert rejected["review"] == "rejected" and rejected["reviewed_by"] == "rita"
    assert rejected["review_reason"] == "misses the north corner"  # one line
    assert accepted["rev"] == 2 and accepted["crop_class"] == first["properties"]["crop_class"]


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_rejection_without_a_reason_is_refused_and_nothing_is_saved(label_set, reason):
    session = reviewer(label_set)
    shown = session.load()
    text = label_set.read_bytes()
    with pytest.raises(LabelError, match="reason for rejecting"):
        session.review(shown["features"], "rejected", shown, reason=reason)
    assert label_set.read_bytes() == text


def test_a_review_needs_a_reviewers_name_and_a_known_verdict(label_set):
    shown = reviewer(label_set).load()
    with pytest.raises(LabelError, match="reviewer's name"):
        reviewer(label_set, " ").review(shown["features"], "accepted", shown)
    with pytest.raises(LabelError, match="not 'approved'"):
        reviewer(label_set).review(shown["features"], "approved", shown)


def test_accepting_after_a_rejection_clears_the_reason(label_set):
    session = reviewer(label_set)
    field = session.load()["features"][0]
    session.review([field], "rejected", session.load(), reason="wrong class")
    session.review([field], "accepted", session.load())
    props = on_disk(label_set)[field["id"]]
    assert (props["review"], props["review_reason"]) == ("accepted", None)


def test_a_review_is_undone_and_redone(label_set):
    session = reviewer(label_set)
    shown = session.load()
    field = shown["features"][0]
    saved = session.review([field], "rejected", shown, reason="too small")
    assert session.undo_stacks() == ([saved.batch], [])
    undone = session.revert(saved.batch)
    assert on_disk(label_set)[field["id"]]["review"] == "draft"
    session.revert(undone.batch)  # redo
    props = on_disk(label_set)[field["id"]]
    assert (props["review"], props["review_reason"]) == ("rejected", "too small")


def test_a_review_of_a_polygon_changed_meanwhile_is_a_conflict(label_set):
    mine, theirs = reviewer(label_set), LabelSession.of_file(label_set, "dan")
    shown = mine.load()
    field = shown["features"][0]
    theirs.reclassify([field], "barley", theirs.load())  # after the reviewer looked
    saved = mine.review([field], "accepted", shown)
    assert saved.conflicts == [field["id"]] and saved.applied == 0
    assert on_disk(label_set)[field["id"]]["review"] == "draft"


def test_a_new_class_makes_a_reviewed_polygon_a_draft_again_and_undo_restores_the_review(
    label_set,
):
    session = reviewer(label_set)
    field = session.load()["features"][0]
    session.review([field], "accepted", session.load())
    shown = session.load()
    changed = session.reclassify(shown["features"][:1], "barley", shown)
    props = on_disk(label_set)[field["id"]]
    assert props["crop_class"] == "barley"
    assert [props[k] for k in FIELDS] == ["draft", None, None, None]
    session.revert(changed.batch)  # the old class, and the review it had
    props = on_disk(label_set)[field["id"]]
    assert (props["crop_class"], props["review"], props["reviewed_by"]) == (
        "maize",
        "accepted",
        "rita",
    )


def test_a_moved_vertex_makes_a_rejected_polygon_a_draft_but_a_note_does_not(label_set):
    session = reviewer(label_set)
    shown = session.load()
    field, other = shown["features"]
    session.review([field, other], "rejected", shown, reason="outline off")
    shown = session.load()
    session.note(shown["features"][1], "checked on site", shown)
    assert on_disk(label_set)[other["id"]]["review"] == "rejected"  # the outline is the same
    shown = session.load()
    moved = shown["features"][0]
    ring = [list(p) for p in moved["geometry"]["coordinates"][0]]
    ring[1][0] += 0.0005
    ring[-1] = ring[0]
    drawing = {"properties": {"id": moved["id"]}, "geometry": {**moved["geometry"]}}
    drawing["geometry"]["coordinates"] = [ring]
    changes = diff_drawings([drawing, shown["features"][1]], shown["features"])
    rules = NewPolygonRules(crop_class="maize", annotator="rita", scene_id="demo", image="original")
    session.save(plan_edits(changes, shown["features"], rules), shown, {})
    props = on_disk(label_set)
    assert props[field["id"]]["review"] == "draft" and props[field["id"]]["review_reason"] is None
    assert props[other["id"]]["review"] == "rejected"


@pytest.mark.parametrize("suffix", [".geojson", ".gpkg", ".zip", ".parquet"])
def test_exports_keep_the_review_and_our_imports_bring_it_back(label_set, tmp_path, suffix):
    session = reviewer(label_set)
    shown = session.load()
    first, second = shown["features"]
    session.review([first], "accepted", shown)
    session.review([second], "rejected", session.load(), reason="not a field: a hedge")
    data = load(label_set)
    features = read_polygons(export(data, tmp_path / f"x{suffix}"), "crop_class", "imp", "s")[0]
    back = {f["id"]: f["properties"] for f in features}
    for f in data["features"]:
        for key in FIELDS:
            assert back[f["id"]][key] == f["properties"][key], (suffix, key)


def test_the_csv_export_has_the_review_columns(label_set, tmp_path):
    session = reviewer(label_set)
    shown = session.load()
    session.review(shown["features"][:1], "rejected", shown, reason="overlaps a road")
    rows = list(csv.DictReader(export(load(label_set), tmp_path / "x.csv").open()))
    assert [(r["review"], r["review_reason"], r["reviewed_by"]) for r in rows] == [
        ("rejected", "overlaps a road", "rita"),
        ("draft", "", ""),
    ]


def test_an_imported_rejection_without_its_reason_is_a_draft(label_set, tmp_path):
    data = load(label_set)
    data["features"][0]["properties"].update(review="rejected", reviewed_by="rita")
    data["features"][1]["properties"].update(review="approved")  # not a status
    features = read_polygons(export(data, tmp_path / "x.geojson"), "crop_class", "imp", "s")[0]
    assert [f["properties"]["review"] for f in features] == ["draft", "draft"]
    assert [f["properties"]["reviewed_by"] for f in features] == [None, None]


def fields(*classes: str, reviews: tuple[str, ...] = ()) -> list[dict]:
    made = [
        new_feature(mapping(box(i, 0, i + 0.5, 0.5)), c or "x", "ana", "s", "original")
        for i, c in enumerate(classes)
    ]
    for f, c in zip(made, classes, strict=True):
        f["properties"]["crop_class"] = c
    for f, r in zip(made, reviews, strict=False):
        f["properties"]["review"] = r
    return made


def test_next_unreviewed_walks_on_from_the_current_polygon_and_wraps():
    walk = fields("a", "a", "a", "a", reviews=("draft", "accepted", "draft", "rejected"))
    drafts = lambda f: status(f) == "draft"  # noqa: E731
    assert next_index(walk, None, drafts) == 0  # nothing selected: the first
    assert next_index(walk, 0, drafts) == 2
    assert next_index(walk, 2, drafts) == 0  # round past the end
    assert next_index(walk, 3, drafts) == 0
    only = fields("a", "a", reviews=("accepted", "draft"))
    assert next_index(only, 1, drafts) == 1  # the last one left is the current one
    assert next_index(fields("a", reviews=("accepted",)), 0, drafts) is None


def test_unlabelled_is_no_class_or_one_the_set_does_not_list():
    walk = fields("maize", "", "3", "barley")
    missing = [unlabelled(f, ["maize", "barley"]) for f in walk]
    assert missing == [False, True, True, False]
    assert next_index(walk, 2, lambda f: unlabelled(f, ["maize", "barley"])) == 1
