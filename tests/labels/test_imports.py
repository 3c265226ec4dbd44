import json
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import box, shape

from labels.export import export
from labels.features import LabelError
from labels.imports import import_file, read_polygons
from labels.store import LabelStore
from tests.labels.conftest import load

ROOT = Path(__file__).resolve().parents[2]


def polygons(path, *args):
    return read_polygons(path, *args)[0]


@pytest.mark.parametrize("suffix", [".geojson", ".gpkg", ".zip", ".parquet"])
def test_our_own_export_comes_back_with_its_ids_and_provenance(label_set, tmp_path, suffix):
    data = load(label_set)
    for f in data["features"]:  # made long ago
        f["properties"]["created"] = "2020-05-01T10:00:00+00:00"
    data["features"][0]["properties"]["date_shown"] = "demo#2"  # drawn on the other date
    exported = export(data, tmp_path / f"x{suffix}")  # GeoPackage and zip: in UTM
    features = polygons(exported, "crop_class", "importer", "other scene")
    before = {f["id"]: f for f in data["features"]}
    assert {f["id"] for f in features} == set(before)
    for f in features:
        old, props = before[f["id"]], f["properties"]
        assert shape(f["geometry"]).symmetric_difference(shape(old["geometry"])).area < 1e-10
        for key in ("scene_id", "image", "pipeline", "model_version", "consistent"):
            assert props[key] == old["properties"][key], key
        # the polygon is the importer's; who drew it, and when, is where it came from
        assert props["annotator"] == props["imported_by"] == "importer"
        assert props["created"] != "2020-05-01T10:00:00+00:00"
        assert props["source_annotator"] == old["properties"]["annotator"]
        assert props["source_created"] == "2020-05-01T10:00:00+00:00"
        assert props.get("date_shown") == old["properties"].get("date_shown")


def test_a_foreign_file_makes_new_features_with_the_importer_as_annotator(tmp_path):
    path = tmp_path / "foreign.geojson"
    ring = [[12.59, 52.47], [12.6, 52.47], [12.6, 52.48], [12.59, 52.47]]
    feature = {
        "type": "Feature",
        "properties": {"crop_class": "rye", "id": 7, "annotator": "x"},
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}))
    [f] = polygons(path, "crop_class", "importer", "demo")
    assert f["properties"]["annotator"] == "importer" and len(f["id"]) == 32
    assert "source_annotator" not in f["properties"]


def test_features_already_in_the_set_are_left_out_by_id_or_outline(label_set, tmp_path):
    store, data = LabelStore(label_set.parent), load(label_set)
    report = import_file(store, "trial", export(data, tmp_path / "x.gpkg"), "crop_class", "me")
    assert (report.imported, report.present, report.in_set) == (0, 2, 2)
    foreign = tmp_path / "same outlines, new ids.geojson"
    plain = [
        {"type": "Feature", "geometry": f["geometry"], "properties": {"crop_class": "rye"}}
        for f in data["features"]
    ]
    foreign.write_text(json.dumps({"type": "FeatureCollection", "features": plain}))
    report = import_file(store, "trial", foreign, "crop_class", "me")
    assert (report.imported, report.present) == (0, 2)
    report = import_file(store, "new", foreign, "crop_class", "me")
    assert (report.imported, report.present, report.in_set) == (2, 0, 2)


def test_three_imports_of_one_file_at_once_add_it_once(label_set, tmp_path):
    exported = export(load(label_set), tmp_path / "x.geojson")
    target = tmp_path / "target.geojson"
    command = [sys.executable, "-m", "labels", "import", str(exported), str(target)]
    runs = [subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE) for _ in range(3)]
    reports = [json.loads(run.communicate(timeout=120)[0]) for run in runs]
    assert sorted(r["imported"] for r in reports) == [0, 0, 2]
    assert len(load(target)["features"]) == 2


def test_every_polygon_layer_of_a_geopackage_is_imported_and_said(tmp_path):
    path = tmp_path / "two.gpkg"
    for layer, crop in (("north", "maize"), ("south", "rye")):
        frame = gpd.GeoDataFrame(
            {"crop_class": [crop]}, geometry=[box(13.1, 48.3, 13.11, 48.31)], crs="EPSG:4326"
        )
        frame.to_file(path, layer=layer, driver="GPKG")
    features, notes = read_polygons(path, "crop_class", "ana", "S2")
    assert sorted(f["properties"]["crop_class"] for f in features) == ["maize", "rye"]
    assert notes == ["two.gpkg holds 2 layers of polygons, all imported: 'north' (1), 'south' (1)"]


def fields_geojson(path, coordinates, crs: str | None, classes=("maize",), fid=None) -> None:
    collection = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                **({"id": fid} if fid else {}),
                "properties": {"crop_class": crop},
                "geometry": None
                if coordinates is None
                else {"type": "Polygon", "coordinates": [coordinates]},
            }
            for crop in classes
        ],
    }
    if crs:
        collection["crs"] = {"type": "name", "properties": {"name": crs}}
    path.write_text(json.dumps(collection))


FIELD = [[13.10, 48.30], [13.11, 48.30], [13.11, 48.31], [13.10, 48.30]]


def test_coordinates_that_do_not_fit_the_declared_crs_are_refused(tmp_path):
    path = tmp_path / "lonlat_as_utm.geojson"
    fields_geojson(path, FIELD, "EPSG:32633")  # degrees declared as UTM metres
    with pytest.raises(LabelError, match="look like longitude/latitude in degrees"):
        read_polygons(path, "crop_class", "ana", "S2")
    fields_geojson(path, FIELD, "EPSG:3857")  # the same in web mercator: near (0, 0) before
    with pytest.raises(LabelError, match="declares EPSG:3857 .metres.; declare EPSG:4326"):
        read_polygons(path, "crop_class", "ana", "S2")
    far = [[500000 + x * 1e6, 5e6 + y] for x, y in [[0, 0], [1, 0], [1, 1000], [0, 0]]]
    fields_geojson(path, far, "EPSG:32633")  # metres, but thousands of km from its zone
    with pytest.raises(LabelError, match="do not fit its coordinate reference system"):
        read_polygons(path, "crop_class", "ana", "S2")
    fields_geojson(path, FIELD, None)  # no crs member: GeoJSON's WGS84, and they fit
    assert len(polygons(path, "crop_class", "ana", "S2")) == 1


def test_an_unknown_crs_is_refused_not_read_as_wgs84(tmp_path):
    path = tmp_path / "unknown.geojson"
    fields_geojson(path, FIELD, "EPSG:999999")
    with pytest.raises(LabelError, match="not known: 'EPSG:999999'"):
        read_polygons(path, "crop_class", "ana", "S2")
    fields_geojson(path, FIELD, "http://127.0.0.1:9/crs.wkt")  # never fetched
    with pytest.raises(LabelError, match="not an EPSG code"):
        read_polygons(path, "crop_class", "ana", "S2")


def test_coordinates_that_are_not_numbers_are_refused(tmp_path):
    path = tmp_path / "nan.geojson"
    fields_geojson(
        path, [[13.10, 48.30], [float("nan"), 48.30], [13.11, 48.31], [13.10, 48.30]], None
    )
    with pytest.raises(LabelError, match="coordinates that are not numbers"):
        read_polygons(path, "crop_class", "ana", "S2")


def test_a_feature_without_geometry_is_named(tmp_path):
    path = tmp_path / "null.geojson"
    fields_geojson(path, None, None)
    with pytest.raises(LabelError, match="null.geojson: feature 1 has no geometry"):
        read_polygons(path, "crop_class", "ana", "S2")


@pytest.mark.parametrize(
    ("classes", "refused"),
    [
        ((None,), "feature 1 has no crop class in 'crop_class'"),
        (("maize", float("nan")), "feature 2 has no crop class"),
        (("  ",), "feature 1 has no crop class"),
        (("mai\x00ze",), "holds a control character"),
        ((["a"],), "feature 1 has no crop class"),
    ],
)
def test_classes_that_are_not_names_are_refused(tmp_path, classes, refused):
    path = tmp_path / "classes.geojson"
    text = json.dumps({"x": list(classes)}).replace("NaN", "NaN")  # JSON with NaN, as GDAL writes
    fields_geojson(path, FIELD, None, classes=json.loads(text)["x"])
    with pytest.raises(LabelError, match=refused):
        read_polygons(path, "crop_class", "ana", "S2")


def test_numeric_classes_become_their_numbers_and_are_reported(tmp_path):
    path = tmp_path / "codes.gpkg"
    frame = gpd.GeoDataFrame(
        {"code": [3.0, 11.0]},
        geometry=[box(13.1, 48.3, 13.11, 48.31), box(13.2, 48.3, 13.21, 48.31)],
        crs="EPSG:4326",
    )
    frame.to_file(path, driver="GPKG")
    features, notes = read_polygons(path, "code", "ana", "S2")
    assert [f["properties"]["crop_class"] for f in features] == ["3", "11"]
    assert notes == ["the field 'code' holds numbers: 2 became class names such as '3'"]


def test_two_features_sharing_an_id_are_both_kept(tmp_path):
    path = tmp_path / "twins.geojson"
    fid = "0123456789abcdef0123456789abcdef"
    collection = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": fid,
                "properties": {"crop_class": crop, "id": fid},
                "geometry": {"type": "Polygon", "coordinates": [ring]},
            }
            for crop, ring in (("maize", FIELD), ("rye", [[x + 0.1, y] for x, y in FIELD]))
        ],
    }
    path.write_text(json.dumps(collection))
    report = import_file(LabelStore(tmp_path), "s", path, "crop_class", "ana")
    assert (report.imported, report.present) == (2, 0)
    assert report.notes[0] == (
        "1 features had the id of an earlier one in the file: each was given a new id"
    )
    ids = [f["id"] for f in load(tmp_path / "s.geojson")["features"]]
    assert ids[0] == fid and ids[1] != fid


def test_a_clockwise_ring_is_stored_counter_clockwise_to_a_centimetre(tmp_path):
    path = tmp_path / "cw.geojson"
    clockwise = [[13.1000000000001234, 48.3], [13.1, 48.31], [13.11, 48.31], [13.11, 48.3]]
    fields_geojson(path, [*clockwise, clockwise[0]], None)
    import_file(LabelStore(tmp_path), "s", path, "crop_class", "ana")
    [f] = load(tmp_path / "s.geojson")["features"]
    ring = shape(f["geometry"]).exterior
    assert ring.is_ccw
    assert all(len(repr(c).partition(".")[2]) <= 7 for xy in ring.coords for c in xy)


def test_a_polygon_across_the_antimeridian_is_refused(tmp_path):
    path = tmp_path / "fiji.geojson"
    fields_geojson(path, [[179.9, -17], [-179.9, -17], [-179.9, -16.9], [179.9, -17]], None)
    with pytest.raises(LabelError, match="crosses the antimeridian"):
        read_polygons(path, "crop_class", "ana", "S2")


def test_a_crs_that_is_no_map_and_a_broken_zip_get_one_line(tmp_path, label_set):
    path = tmp_path / "geocentric.geojson"
    fields_geojson(path, FIELD, "EPSG:4978")
    with pytest.raises(LabelError, match="not a map's coordinate reference system"):
        read_polygons(path, "crop_class", "ana", "S2")
    good = export(load(label_set), tmp_path / "x.zip")
    raw = bytearray(good.read_bytes())
    start = raw.index(b"labels.shp") + len(b"labels.shp")  # inside the .shp's deflated bytes
    raw[start + 40 : start + 60] = bytes(20)
    broken = tmp_path / "broken.zip"
    broken.write_bytes(bytes(raw))
    with pytest.raises(LabelError, match="not a readable zip file"):
        read_polygons(broken, "crop_class", "ana", "S2")


def test_a_refused_feature_is_numbered_within_its_layer(tmp_path):
    path = tmp_path / "two.gpkg"
    for layer, crops in (("north", ["maize", "rye"]), ("south", ["oat\x1b[2J"])):
        boxes = [box(13.1 + k / 100, 48.3, 13.105 + k / 100, 48.31) for k in range(len(crops))]
        frame = gpd.GeoDataFrame({"crop_class": crops}, geometry=boxes, crs="EPSG:4326")
        frame.to_file(path, layer=layer, driver="GPKG")
    with pytest.raises(LabelError, match="two.gpkg, layer 'south': feature 1: .*control character"):
        read_polygons(path, "crop_class", "ana", "S2")


def test_classes_spelled_apart_by_case_are_one_and_unknown_ones_are_named(tmp_path):
    path = tmp_path / "other_tool.gpkg"
    names = ["Maize", "maize ", "sunflower", "Sunflower", "maize"]
    frame = gpd.GeoDataFrame(
        {"crop": names},
        geometry=[box(13.1 + i / 100, 48.3, 13.105 + i / 100, 48.305) for i in range(len(names))],
        crs="EPSG:4326",
    )
    frame.to_file(path, driver="GPKG")
    store = LabelStore(tmp_path / "labels")
    store.apply("set", [])
    report = import_file(store, "set", path, "crop", "ana")
    saved = [f["properties"]["crop_class"] for f in store.load("set")["features"]]
    assert sorted(saved) == ["maize", "maize", "maize", "sunflower", "sunflower"]
    message = report.message()
    assert "'Maize' -> 'maize'" in message
    assert "'Sunflower' -> 'sunflower'" in message
    assert "not in this set's list were imported as they are: 'sunflower' (2)" in message
