"""A label session: what the pages and the CLI do to a set, checked on the file."""

from pathlib import Path

import pytest
from shapely.geometry import box, mapping

from labels.edits import Changes, NewPolygonRules, plan_edits
from labels.export import export
from labels.features import LabelError
from labels.session import LabelSession
from tests.labels.conftest import load


def session_of(label_set: Path, annotator: str = "cleo") -> LabelSession:
    return LabelSession.of_file(label_set, annotator)


def by_class(label_set: Path) -> dict[str, str]:
    return {f["id"]: f["properties"]["crop_class"] for f in load(label_set)["features"]}


def test_a_file_that_is_not_a_set_and_a_bad_name_are_refused(tmp_path: Path):
    with pytest.raises(LabelError, match="is not a label set"):
        LabelSession.of_file(tmp_path / "trial.gpkg")
    with pytest.raises(LabelError, match="not a usable label set name"):
        LabelSession.of_file(tmp_path / "..geojson")


def test_importing_a_file_twice_adds_it_once_and_says_so(label_set: Path, tmp_path: Path):
    exported = export(load(label_set), tmp_path / "out.geojson")
    other = LabelSession.of_file(tmp_path / "other.geojson")
    first = other.import_file(exported, "crop_class")
    assert (first.imported, first.present, first.in_set) == (2, 0, 2)
    assert first.message() == "Imported 2 polygons."
    again = other.import_upload("out.geojson", exported.read_bytes(), "crop_class")
    assert (again.imported, again.present, again.in_set) == (0, 2, 2)
    assert again.message().startswith("Nothing was imported: all 2 polygons are already")
    saved = load(tmp_path / "other.geojson")["features"]
    assert len(saved) == 2 and {f["properties"]["imported_by"] for f in saved} == {"import"}


def test_an_upload_is_told_by_its_content_and_named_safely(label_set: Path):
    before = label_set.read_bytes()
    with pytest.raises(LabelError, match=r"_etc_x\.geojson is not GeoJSON") as err:
        session_of(label_set).import_upload("../etc/x.geojson", b"not a map", "crop_class")
    assert "/" not in str(err.value)
    assert label_set.read_bytes() == before  # nothing imported


def test_reclassify_changes_the_class_on_disk_and_revert_restores_it(label_set: Path):
    session = session_of(label_set)
    shown = session.load()
    maize = [f for f in shown["features"] if f["properties"]["crop_class"] == "maize"]
    saved = session.reclassify(maize, "barley", shown)
    assert saved.applied == 1 and by_class(label_set)[maize[0]["id"]] == "barley"
    assert session.undo_stacks() == ([saved.batch], [])
    undone = session.revert(saved.batch)
    assert by_class(label_set)[maize[0]["id"]] == "maize"
    assert session.undo_stacks() == ([], [undone.batch])  # Redo reverts the revert


def test_a_deleted_polygon_is_restored(label_set: Path):
    session = session_of(label_set)
    shown = session.load()
    gone = shown["features"][0]
    session.delete([gone], shown)
    assert gone["id"] not in by_class(label_set)
    [deleted] = session.store.deleted(session.name)
    session.restore(deleted)
    assert by_class(label_set)[gone["id"]] == gone["properties"]["crop_class"]


def test_a_note_on_a_polygon_changed_meanwhile_is_a_conflict_and_not_saved(label_set: Path):
    mine, theirs = session_of(label_set), session_of(label_set, "dan")
    shown = mine.load()
    field = shown["features"][0]
    theirs.note(field, "theirs", theirs.load())
    saved = mine.note(field, "mine", shown)
    assert saved.conflicts == [field["id"]] and saved.applied == 0
    [after] = [f for f in load(label_set)["features"] if f["id"] == field["id"]]
    assert after["properties"]["note"] == "theirs"


def test_the_maps_edits_are_saved_as_the_annotators_with_the_sets_facts(tmp_path: Path):
    session = LabelSession.of_file(tmp_path / "new.geojson", "cleo")
    drawn = mapping(box(12.591, 52.476, 12.594, 52.478))
    rules = NewPolygonRules(crop_class="maize", annotator="cleo", scene_id="demo", image="original")
    shown = session.load()
    edits = plan_edits(Changes(new=[drawn]), shown["features"], rules)
    saved = session.save(edits, shown, {"scene_id": "demo"})
    assert saved.applied == 1
    data = load(tmp_path / "new.geojson")
    assert data["label_set"]["scene_id"] == "demo"
    [field] = data["features"]
    assert field["properties"]["annotator"] == "cleo"
    assert session.store.history("new")[0]["who"] == "cleo"
