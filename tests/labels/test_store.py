import json
import multiprocessing
from pathlib import Path

import pytest

from labels.features import LabelError, new_feature
from labels.store import LabelStore

SQUARE = {
    "type": "Polygon",
    "coordinates": [[[12.6, 52.47], [12.61, 52.47], [12.61, 52.48], [12.6, 52.48], [12.6, 52.47]]],
}

SQUARE2 = {
    "type": "Polygon",
    "coordinates": [[[12.7, 52.47], [12.71, 52.47], [12.71, 52.48], [12.7, 52.48], [12.7, 52.47]]],
}


def feature(crop: str = "maize", who: str = "ana"):
    return new_feature(SQUARE, crop, who, "S2_demo", "enhanced", "bicubic")


def test_saved_set_is_rfc7946_geojson_and_reopens(tmp_path: Path):
    store = LabelStore(tmp_path / "labels")
    f = feature()
    store.apply("field trial 1", [f], info={"scene_id": "S2_demo", "area_bbox": [1, 2, 3, 4]})
    raw = json.loads((tmp_path / "labels" / "field trial 1.geojson").read_text())
    assert raw["type"] == "FeatureCollection" and "crs" not in raw
    [saved] = raw["features"]
    assert saved["id"] == f["id"] and saved["geometry"] == f["geometry"]
    assert saved["properties"] == {**f["properties"], "area_ha": saved["properties"]["area_ha"]}
    # 0.01 x 0.01 degrees at 52.5 N in UTM 33N: 680 m x 1113 m
    assert saved["properties"]["area_ha"] == pytest.approx(75.6, rel=0.01)
    assert raw["label_set"]["scene_id"] == "S2_demo"
    assert LabelStore(tmp_path / "labels").load("field trial 1")["features"] == [saved]
    assert store.names() == ["field trial 1"]
    assert [p.name for p in (tmp_path / "labels").iterdir() if p.suffix == ".tmp"] == []


def test_update_keeps_created_and_delete_removes(tmp_path: Path):
    store = LabelStore(tmp_path)
    a, b = feature(), feature("barley")
    store.apply("s", [a, b])
    edited = {**a, "geometry": {**SQUARE, "coordinates": [SQUARE["coordinates"][0][::-1]]}}
    edited["properties"] = {**a["properties"], "created": "tampered"}
    saved = store.apply("s", [edited], deletes=[b["id"]]).data
    [only] = saved["features"]
    assert only["id"] == a["id"] and only["geometry"] == edited["geometry"]
    assert only["properties"]["created"] == a["properties"]["created"]
    assert only["properties"]["updated"] >= a["properties"]["updated"]


def test_two_sessions_saving_the_same_set_keep_each_others_features(tmp_path: Path):
    one, two = LabelStore(tmp_path), LabelStore(tmp_path)
    mine, theirs = feature(who="ana"), feature(who="ben")
    one.apply("shared", [mine])
    two.apply("shared", [theirs])  # ben's session never loaded ana's feature
    ids = {f["id"] for f in LabelStore(tmp_path).load("shared")["features"]}
    assert ids == {mine["id"], theirs["id"]}


def _save_many(root: str, who: str, n: int) -> None:
    store = LabelStore(Path(root))
    for _ in range(n):
        store.apply("race", [feature(who=who)])


def test_two_processes_saving_at_once_lose_nothing(tmp_path: Path):
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_save_many, args=(str(tmp_path), w, 25)) for w in ("a", "b")]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    features = LabelStore(tmp_path).load("race")["features"]
    assert len(features) == 50
    assert sorted({f["properties"]["annotator"] for f in features}) == ["a", "b"]


def test_damaged_file_is_reported_and_kept(tmp_path: Path):
    path = tmp_path / "broken.geojson"
    path.write_text('{"type": "FeatureCollection", "features": [')
    store = LabelStore(tmp_path)
    with pytest.raises(LabelError, match="damaged and was kept"):
        store.apply("broken", [feature()])
    assert path.read_text() == '{"type": "FeatureCollection", "features": ['
    path.write_text('{"type": "Feature"}')
    with pytest.raises(LabelError, match="not a GeoJSON FeatureCollection"):
        store.load("broken")


@pytest.mark.parametrize(
    "name", ["../escape", "a/b", "", ".hidden", "x" * 81, "trailing.", "nul\x00"]
)
def test_names_cannot_leave_the_label_directory(tmp_path: Path, name: str):
    with pytest.raises(LabelError, match="not a usable label set name"):
        LabelStore(tmp_path / "labels").apply(name, [feature()])
    assert not (tmp_path / "labels").exists() or list((tmp_path / "labels").glob("*.geojson")) == []


def test_the_second_edit_of_the_same_polygon_is_a_conflict(tmp_path: Path):
    store = LabelStore(tmp_path)
    f = feature()
    store.apply("s", [f])
    seen = {f["id"]: 1}
    ana = {**f, "properties": {**f["properties"], "crop_class": "barley"}}
    ben = {**f, "properties": {**f["properties"], "crop_class": "rapeseed"}}
    first = store.apply("s", [ana], expected=seen, who="ana")
    second = store.apply("s", [ben], expected=seen, who="ben")
    assert first.conflicts == [] and first.applied == 1
    assert second.conflicts == [f["id"]] and second.applied == 0
    [saved] = store.load("s")["features"]
    assert saved["properties"]["crop_class"] == "barley" and saved["properties"]["rev"] == 2
    assert store.apply("s", deletes=[f["id"]], expected=seen).conflicts == [f["id"]]


def test_journal_undo_redo_and_restore(tmp_path: Path):
    store = LabelStore(tmp_path)
    a, b = feature(), feature("barley")
    add = store.apply("s", [a, b], who="ana")
    gone = store.apply("s", deletes=[a["id"]], who="ana")
    assert [f["id"] for f in store.deleted("s")] == [a["id"]]
    undo = store.revert("s", gone.batch, who="ana")  # undo the delete
    assert {f["id"] for f in store.load("s")["features"]} == {a["id"], b["id"]}
    store.revert("s", undo.batch)  # redo it
    assert [f["id"] for f in store.load("s")["features"]] == [b["id"]]
    store.revert("s", add.batch)  # undo the first batch: b goes, a stays gone
    assert store.load("s")["features"] == []
    ops = [(e["op"], e["id"]) for e in store.history("s")]
    assert ops[:3] == [("add", a["id"]), ("add", b["id"]), ("delete", a["id"])]
    assert all(e["who"] in ("ana", "") for e in store.history("s"))


def test_rename_and_delete_keep_the_work(tmp_path: Path):
    store = LabelStore(tmp_path)
    store.apply("old", [feature()])
    store.rename("old", "new")
    assert store.names() == ["new"] and len(store.history("new")) == 1
    store.apply("other", [feature()])
    with pytest.raises(LabelError, match="exists already"):
        store.rename("other", "new")
    trashed = store.delete("new")
    assert trashed.exists() and "new" not in store.names()
    with pytest.raises(LabelError, match="no label set"):
        store.delete("new")


def test_a_failed_save_changes_nothing_and_says_so(tmp_path, monkeypatch):
    import errno

    import labels.setfile

    store = LabelStore(tmp_path)
    store.apply("s", [new_feature(SQUARE, "maize", "ana", "S2", "original")], who="ana")
    set_before = store.path("s").read_bytes()
    journal = tmp_path / ".journal" / "s.jsonl"
    journal_before = journal.read_bytes()

    def disk_full(path, text):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(labels.setfile, "_write_atomic", disk_full)
    with pytest.raises(LabelError, match="No space left on device.*nothing was changed"):
        store.apply("s", [new_feature(SQUARE2, "wheat", "ana", "S2", "original")], who="ana")
    assert store.path("s").read_bytes() == set_before
    assert journal.read_bytes() == journal_before
    monkeypatch.undo()  # the disk has room again: the refused change was not kept anywhere
    store.apply("s", [new_feature(SQUARE2, "barley", "ana", "S2", "original")], who="ana")
    assert [f["properties"]["crop_class"] for f in store.load("s")["features"]] == [
        "maize",
        "barley",
    ]


def test_a_saved_set_is_one_feature_a_line_and_opens_in_gis_software(tmp_path: Path):
    import geopandas as gpd

    store = LabelStore(tmp_path)
    store.apply("s", [feature(), feature("barley")], info={"scene_id": "S2"})
    lines = store.path("s").read_text().splitlines()
    assert len(lines) == 4 and lines[0].endswith('"features": [') and lines[-1] == "]}"
    frame = gpd.read_file(store.path("s"))
    assert sorted(frame["crop_class"]) == ["barley", "maize"] and frame.crs.to_epsg() == 4326


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d["features"].append(7), "feature 2 that is not an object"),
        (lambda d: d["features"][0].update(geometry=None), "feature 1 without a geometry"),
        (lambda d: d["features"][0].pop("properties"), "feature 1 without properties"),
        (lambda d: d.update(label_set="oops"), "'label_set' that is not an object"),
    ],
)
def test_hand_edited_sets_are_reported_not_crashed_on(tmp_path: Path, edit, message):
    store = LabelStore(tmp_path)
    store.apply("s", [feature()])
    data = json.loads(store.path("s").read_text())
    edit(data)
    store.path("s").write_text(json.dumps(data))
    damaged = store.path("s").read_bytes()
    with pytest.raises(LabelError, match=message):
        store.load("s")
    with pytest.raises(LabelError, match=message):
        store.apply("s", [feature("wheat")])
    assert store.path("s").read_bytes() == damaged


def test_temporary_files_of_killed_writers_are_removed_at_the_next_save(tmp_path: Path):
    store = LabelStore(tmp_path)
    store.apply("a", [feature()])
    store.apply("a.geojson.b", [feature()])
    stale = tmp_path / ".a.geojson.k1ll3d_x.tmp"  # as tempfile names them
    stale.write_text('{"type": "Feature')
    other = tmp_path / ".a.geojson.b.geojson.abcdefgh.tmp"  # another set's: not touched
    other.write_text("{}")
    store.apply("a", [feature("wheat")])
    assert not stale.exists() and other.exists()
    assert len(store.load("a")["features"]) == 2


def test_the_areas_of_sets_are_read_from_their_first_line(tmp_path: Path):
    store = LabelStore(tmp_path)
    store.apply("with area", [feature()], info={"area_bbox": [12.59, 52.475, 12.6, 52.48]})
    store.apply("without", [feature()])
    (tmp_path / "by hand.geojson").write_text('{"type": "FeatureCollection", "features": []}')
    assert store.areas() == [("with area", (12.59, 52.475, 12.6, 52.48))]


def test_a_set_saved_back_by_gdal_opens_and_keeps_its_ids(tmp_path: Path):
    import geopandas as gpd

    store = LabelStore(tmp_path)
    first, second = feature(), new_feature(SQUARE2, "rye", "ana", "S2_demo", "original")
    store.apply("s", [first, second])
    frame = gpd.read_file(store.path("s"))  # as QGIS would: read, edit, save over it
    frame.loc[frame["id"] == first["id"], "crop_class"] = "barley"
    store.path("s").unlink()
    frame.to_file(store.path("s"), driver="GeoJSON")
    assert "label_set" not in json.loads(store.path("s").read_text())
    loaded = {f["id"]: f["properties"]["crop_class"] for f in store.load("s")["features"]}
    assert loaded == {first["id"]: "barley", second["id"]: "rye"}
    store.apply("s", deletes=[second["id"]])  # and changes as any set
    assert [f["id"] for f in store.load("s")["features"]] == [first["id"]]


def test_a_feature_drawn_in_gis_software_without_an_id_gets_a_lasting_one(tmp_path: Path):
    store = LabelStore(tmp_path)
    store.apply("s", [feature()])
    data = json.loads(store.path("s").read_text())
    drawn = {"type": "Feature", "properties": {"crop_class": "rye"}, "geometry": SQUARE2}
    data["features"].append(drawn)
    store.path("s").write_text(json.dumps(data))
    ids = [f["id"] for f in store.load("s")["features"]]
    assert ids == [f["id"] for f in store.load("s")["features"]]  # the same at each read
    store.apply("s", deletes=[ids[1]])
    assert [f["id"] for f in store.load("s")["features"]] == ids[:1]


def test_a_name_typed_with_combining_accents_is_the_same_set(tmp_path: Path):
    store = LabelStore(tmp_path)
    store.apply("\u00e9t\u00e9", [feature()])  # été, composed
    decomposed = "e\u0301te\u0301"
    assert len(store.load(decomposed)["features"]) == 1
    store.apply(decomposed, [feature("rye")])
    assert store.names() == ["\u00e9t\u00e9"] and len(store.load("\u00e9t\u00e9")["features"]) == 2


def test_a_polygon_duplicated_in_gis_software_is_kept_with_its_own_id(tmp_path: Path):
    store = LabelStore(tmp_path)
    store.apply("s", [feature()])
    data = json.loads(store.path("s").read_text())
    twin = json.loads(json.dumps(data["features"][0]))  # QGIS's duplicate keeps the properties
    twin.pop("id")
    twin["geometry"] = SQUARE2
    data["features"].append(twin)
    store.path("s").write_text(json.dumps(data))
    ids = [f["id"] for f in store.load("s")["features"]]
    assert len(set(ids)) == 2
    store.apply("s", [new_feature(SQUARE, "rye", "ana", "S2", "original")])  # a save keeps both
    assert len(store.load("s")["features"]) == 3
