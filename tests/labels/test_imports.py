import json
import zipfile

import pytest
from shapely.geometry import shape

from labels.export import export
from labels.features import LabelError
from labels.imports import MAX_MEMBERS, read_polygons
from tests.labels.conftest import load


def test_import_round_trip_from_another_crs(label_set, tmp_path):
    gpkg = export(load(label_set), tmp_path / "x.gpkg")
    features = read_polygons(gpkg, "crop_class", "importer", "demo")
    original = {
        f["properties"]["crop_class"]: shape(f["geometry"]) for f in load(label_set)["features"]
    }
    for f in features:
        back = shape(f["geometry"])
        assert back.symmetric_difference(original[f["properties"]["crop_class"]]).area < 1e-10
        assert f["properties"]["annotator"] == "importer"


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
