import json
import zipfile

import pytest
from shapely.geometry import shape

from labels.export import export
from labels.features import LabelError
from labels.imports import MAX_MEMBERS, read_polygons, unseen
from tests.labels.conftest import load


@pytest.mark.parametrize("suffix", [".geojson", ".gpkg", ".zip"])
def test_our_own_export_comes_back_with_its_ids_and_provenance(label_set, tmp_path, suffix):
    data = load(label_set)
    for f in data["features"]:  # made long ago: an import must not stamp them anew
        f["properties"]["created"] = "2020-05-01T10:00:00+00:00"
    exported = export(data, tmp_path / f"x{suffix}")  # GeoPackage and zip: in UTM
    features = read_polygons(exported, "crop_class", "importer", "other scene")
    before = {f["id"]: f for f in data["features"]}
    assert {f["id"] for f in features} == set(before)
    for f in features:
        old = before[f["id"]]
        assert shape(f["geometry"]).symmetric_difference(shape(old["geometry"])).area < 1e-10
        for key in ("annotator", "created", "scene_id", "image", "pipeline", "model_version"):
            assert f["properties"][key] == old["properties"][key], key


def test_a_foreign_file_makes_new_features_with_the_importer_as_annotator(tmp_path):
    path = tmp_path / "foreign.geojson"
    ring = [[12.59, 52.47], [12.6, 52.47], [12.6, 52.48], [12.59, 52.47]]
    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"crop_class": "rye", "id": 7, "annotator": "x"},
                        "geometry": {"type": "Polygon", "coordinates": [ring]},
                    }
                ],
            }
        )
    )
    [f] = read_polygons(path, "crop_class", "importer", "demo")
    assert f["properties"]["annotator"] == "importer" and len(f["id"]) == 32


def test_features_already_in_the_set_are_left_out_by_id_or_outline(label_set, tmp_path):
    data = load(label_set)
    again = read_polygons(export(data, tmp_path / "x.gpkg"), "crop_class", "me", "demo")
    assert unseen(again, data) == ([], 2)
    foreign = tmp_path / "same outlines, new ids.geojson"
    plain = [
        {"type": "Feature", "geometry": f["geometry"], "properties": {"crop_class": "rye"}}
        for f in data["features"]
    ]
    foreign.write_text(json.dumps({"type": "FeatureCollection", "features": plain}))
    copies = read_polygons(foreign, "crop_class", "me", "demo")
    assert {f["id"] for f in copies}.isdisjoint(f["id"] for f in data["features"])
    assert unseen(copies, data) == ([], 2)
    assert unseen(copies, {"features": []}) == (copies, 0)


def test_a_small_zip_that_unpacks_to_too_much_is_refused_before_reading(tmp_path):
    bomb = tmp_path / "fields.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("fields.geojson", b" " * (60 * 2**20))  # 60 MB of spaces
    assert bomb.stat().st_size < 1 * 2**20
    with pytest.raises(LabelError, match="unpacks to 60 MB; the limit is 50 MB"):
        read_polygons(bomb, "crop_class", "ana", "S2")
    many = tmp_path / "many.zip"
    with zipfile.ZipFile(many, "w") as z:
        for i in range(MAX_MEMBERS + 1):
            z.writestr(f"f{i}.txt", b"x")
    with pytest.raises(LabelError, match="holds 101 files"):
        read_polygons(many, "crop_class", "ana", "S2")
    not_zip = tmp_path / "broken.zip"
    not_zip.write_bytes(b"PK\x03\x04 not really")
    with pytest.raises(LabelError, match="not a readable zip"):
        read_polygons(not_zip, "crop_class", "ana", "S2")


def fields_geojson(path, coordinates, crs: str | None) -> None:
    collection = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"crop_class": "maize"},
                "geometry": {"type": "Polygon", "coordinates": [coordinates]},
            }
        ],
    }
    if crs:
        collection["crs"] = {"type": "name", "properties": {"name": crs}}
    path.write_text(json.dumps(collection))


FIELD = [[13.10, 48.30], [13.11, 48.30], [13.11, 48.31], [13.10, 48.30]]


def test_coordinates_that_do_not_fit_the_declared_crs_are_refused(tmp_path):
    path = tmp_path / "lonlat_as_utm.geojson"
    fields_geojson(path, FIELD, "EPSG:32633")  # degrees declared as UTM metres
    with pytest.raises(LabelError, match="coordinates do not fit its coordinate reference system"):
        read_polygons(path, "crop_class", "ana", "S2")
    fields_geojson(path, FIELD, None)  # no crs member: GeoJSON's WGS84, and they fit
    assert len(read_polygons(path, "crop_class", "ana", "S2")) == 1


def test_an_unknown_crs_is_refused_not_read_as_wgs84(tmp_path):
    path = tmp_path / "unknown.geojson"
    fields_geojson(path, FIELD, "EPSG:999999")
    with pytest.raises(LabelError, match="not known: 'EPSG:999999'"):
        read_polygons(path, "crop_class", "ana", "S2")


def test_coordinates_that_are_not_numbers_are_refused(tmp_path):
    path = tmp_path / "nan.geojson"
    fields_geojson(
        path, [[13.10, 48.30], [float("nan"), 48.30], [13.11, 48.31], [13.10, 48.30]], None
    )
    with pytest.raises(LabelError, match="coordinates that are not numbers"):
        read_polygons(path, "crop_class", "ana", "S2")
