"""Reading a file to import: the format told by the content, and nothing outside it followed."""

import sqlite3
import zipfile
from pathlib import Path

import pandas as pd
import pyogrio
import pytest

from labels.export import export
from labels.features import LabelError
from labels.readers import MAX_MEMBERS, read_layers
from tests.labels.conftest import load


def test_a_small_zip_that_unpacks_to_too_much_is_refused_before_reading(tmp_path):
    bomb = tmp_path / "fields.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("fields.shp", b" " * (60 * 2**20))  # 60 MB of spaces
    assert bomb.stat().st_size < 1 * 2**20
    with pytest.raises(LabelError, match="unpacks to 60 MB; the limit is 50 MB"):
        read_layers(bomb)
    many = tmp_path / "many.zip"
    with zipfile.ZipFile(many, "w") as z:
        for i in range(MAX_MEMBERS + 1):
            z.writestr(f"f{i}.txt", b"x")
    with pytest.raises(LabelError, match="holds 101 files"):
        read_layers(many)
    not_zip = tmp_path / "broken.zip"
    not_zip.write_bytes(b"PK\x03\x04 not really")
    with pytest.raises(LabelError, match="not a readable zip"):
        read_layers(not_zip)


SECRET = "top secret line"


def vrt(tmp_path: Path, target: str) -> str:
    """An OGR VRT whose SQL reads ``target`` (a CSV file, or a URL) into crop classes."""
    return (
        f'<OGRVRTDataSource><OGRVRTLayer name="x"><SrcDataSource>{target}</SrcDataSource>'
        '<SrcSQL dialect="SQLITE">SELECT secret AS crop_class, '
        "ST_GeomFromText('POLYGON((13 48,13.1 48,13.1 48.1,13 48))') AS geom FROM secret"
        "</SrcSQL><GeometryField name='geom' encoding='WKT'/>"
        "<LayerSRS>EPSG:4326</LayerSRS></OGRVRTLayer></OGRVRTDataSource>"
    )


def test_files_that_point_elsewhere_are_refused_whatever_their_name(tmp_path):
    secret = tmp_path / "secret.csv"
    secret.write_text(f"secret\n{SECRET}\n")
    disguised = tmp_path / "fields.geojson"
    disguised.write_text(vrt(tmp_path, str(secret)))
    with pytest.raises(
        LabelError, match="is not GeoJSON, a GeoPackage, a zipped Shapefile or GeoParquet"
    ):
        read_layers(disguised)
    zipped = tmp_path / "fields.zip"
    with zipfile.ZipFile(zipped, "w") as z:
        z.writestr("x.vrt", vrt(tmp_path, str(secret)))
        z.writestr("y.shp", vrt(tmp_path, "http://127.0.0.1:9/fields.csv"))
        z.writestr("y.shx", b"")
        z.writestr("y.dbf", b"")
    with pytest.raises(LabelError) as refused:
        read_layers(zipped)
    assert "y.shp is not a Shapefile" in str(refused.value)
    assert SECRET not in str(refused.value)


@pytest.mark.parametrize(
    ("name", "sql"),
    [
        ("leak", "CREATE VIRTUAL TABLE leak USING VirtualOGR('/etc/passwd')"),
        (
            "a USING rtree",
            "CREATE VIRTUAL TABLE \"a USING rtree\" USING VirtualText('/etc/passwd')",
        ),
        ("leak", "CREATE VIRTUAL TABLE leak USING/**/VirtualShape('/etc/passwd')"),
    ],
)
def test_a_geopackage_with_a_virtual_table_is_refused(tmp_path, label_set, name, sql):
    path = export(load(label_set), tmp_path / "x.gpkg")
    with sqlite3.connect(path) as db:  # a table GDAL's SQLite layer could read a file into
        db.execute("PRAGMA writable_schema = ON")
        db.execute("INSERT INTO sqlite_master VALUES ('table', ?, ?, 0, ?)", (name, name, sql))
    with pytest.raises(LabelError, match="virtual table .* not a spatial index.*read other files"):
        read_layers(path)
    indexed = export(load(label_set), tmp_path / "y.gpkg")  # GDAL's own spatial index passes
    with sqlite3.connect(indexed) as db:
        assert any(
            "USING rtree" in (q or "") for (q,) in db.execute("SELECT sql FROM sqlite_master")
        )
    [layer] = read_layers(indexed)
    assert len(layer.rows) == 2


def test_a_geopackage_without_geometry_gets_one_line(tmp_path):
    path = tmp_path / "table.gpkg"
    pyogrio.write_dataframe(pd.DataFrame({"crop_class": ["maize"]}), path, layer="t")
    with pytest.raises(LabelError, match="holds no layer of polygons; its layers: 't'"):
        read_layers(path)


@pytest.mark.parametrize(
    ("text", "refused"),
    [
        (
            '{"type": "FeatureCollection", "features": [], "crs": {"properties": null}}',
            "not an EPSG",
        ),
        (
            '{"type": "FeatureCollection", "crs": {"properties": "EPSG:3857"}, "features": []}',
            "not an EPSG",
        ),
        ("[1, 2]", "is not GeoJSON"),
        ('{"type": "Topology"}', "not a GeoJSON FeatureCollection"),
        ('{"type": "Feature", "properties": 3, "geometry": null}', "properties that are not"),
        (
            '{"type": "Feature", "properties": {"crop_class": "x"}, "geometry": '
            '{"type": "Polygon", "coordinates": [[[1'
            + "0" * 400
            + ", 2], [3, 4], [5, 6], [1, 2]]]}}",
            "malformed geometry",
        ),
    ],
)
def test_odd_geojson_gets_one_line(tmp_path, text, refused):
    path = tmp_path / "odd.geojson"
    path.write_text(text)
    with pytest.raises(LabelError, match=refused):
        read_layers(path)
