"""fiboa GeoParquet: what other tools read in the export, the round trip, and bad files."""

import json
import urllib.request

import geopandas as gpd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import shapely
from pyproj import Transformer
from shapely import wkb
from shapely.geometry import box, shape

from labels.export import export
from labels.features import LabelError
from labels.geometry import area_ha
from labels.imports import read_polygons
from labels.readers import read_layers
from labels.store import LabelStore
from tests.labels.conftest import load

TO_UTM = Transformer.from_crs(4326, 32633, always_xy=True)


def utm(geometry):
    """A WGS84 GeoJSON geometry in UTM zone 33N (metres)."""
    return shapely.transform(
        shape(geometry), lambda x, y: TO_UTM.transform(x, y), interleaved=False
    )


CORE = {"id", "geometry", "area", "perimeter", "determination_method", "determination_datetime"}
METHODS = {
    "manual", "driven", "surveyed", "administrative", "auto-operation", "auto-imagery", "unknown"
}  # fmt: skip


def suggested_set(label_set):
    """The fixture's set with its winter wheat field saved as a suggested outline."""
    data = load(label_set)
    for f in data["features"]:
        if f["properties"]["crop_class"] == "winter wheat":
            f["properties"]["source"] = "suggested"
    data["label_set"]["scene_date"] = "2017-02-16"
    return data


def test_the_export_follows_fiboa_core_0_2_and_the_crop_extension(label_set, tmp_path):
    data = suggested_set(label_set)
    out = export(data, tmp_path / "fields.parquet")
    schema = pq.read_schema(out)
    collection = json.loads(schema.metadata[b"fiboa"])
    assert collection["fiboa_version"] == "0.2.0"
    assert collection["fiboa_extensions"] == [
        "https://fiboa.github.io/crop-extension/v0.1.0/schema.yaml"
    ]
    assert set(schema.names) >= CORE
    for name in ("id", "geometry", "crop:code", "crop:code_list"):  # required: not nullable
        assert not schema.field(name).nullable, name
    assert schema.field("area").type == pa.float32()
    assert schema.field("determination_datetime").type == pa.timestamp("ms", tz="UTC")
    geo = json.loads(schema.metadata[b"geo"])
    assert geo["columns"]["geometry"]["encoding"] == "WKB"

    frame = gpd.read_parquet(out)  # geopandas reads it without help
    assert frame.crs.to_epsg() == 4326
    rows = {r["crop:name"]: r for r in frame.to_dict("records")}
    assert set(rows) == {"maize", "winter wheat"}
    assert rows["maize"]["determination_method"] == "manual"
    assert rows["winter wheat"]["determination_method"] == "auto-imagery"
    assert set(frame["determination_method"]) <= METHODS
    assert str(rows["maize"]["determination_datetime"]) == "2017-02-16 00:00:00+00:00"
    for f in data["features"]:
        row = rows[f["properties"]["crop_class"]]
        assert row["id"] == f["id"] and row["crop:code"] == f["properties"]["crop_class"]
        assert row["area"] == pytest.approx(area_ha(f["geometry"], "EPSG:32633"), rel=1e-6)
        assert row["perimeter"] == pytest.approx(utm(f["geometry"]).length)
        assert row["geometry"].equals_exact(shape(f["geometry"]), 0)  # the set's coordinates
        assert row["labeller:annotator"] == f["properties"]["annotator"]  # nothing lost
        assert row["labeller:rev"] == 1
    assert rows["winter wheat"]["labeller:source"] == "suggested"

    table = pq.read_table(out)  # and pyarrow
    assert wkb.loads(table["geometry"][0].as_py()).geom_type == "Polygon"
    with urllib.request.urlopen(table["crop:code_list"][0].as_py()) as code_list:
        lines = code_list.read().decode().splitlines()
    assert lines[0] == "original_code,original_name,translated_name"
    assert "maize,maize," in lines and "winter wheat,winter wheat," in lines


def test_an_outline_imported_from_another_tool_has_no_date_of_determination(label_set, tmp_path):
    """It was not seen on the set's scene: fiboa's method ``unknown`` and no datetime."""
    data = suggested_set(label_set)
    maize = next(f for f in data["features"] if f["properties"]["crop_class"] == "maize")
    maize["properties"]["imported_by"] = "importer"
    frame = gpd.read_parquet(export(data, tmp_path / "fields.parquet"))
    rows = {r["crop:name"]: r for r in frame.to_dict("records")}
    assert rows["maize"]["determination_method"] == "unknown"
    assert gpd.pd.isna(rows["maize"]["determination_datetime"])
    assert str(rows["winter wheat"]["determination_datetime"]) == "2017-02-16 00:00:00+00:00"
    assert pq.read_schema(tmp_path / "fields.parquet").field("perimeter").type == pa.float32()


def test_an_export_comes_back_with_its_ids_classes_and_source(label_set, tmp_path):
    data = suggested_set(label_set)
    out = export(data, tmp_path / "fields.parquet")
    store = LabelStore(tmp_path / "other")
    features, notes = read_polygons(out, "crop_class", "importer", "demo")
    store.apply("copy", features)
    back = {f["id"]: f for f in store.load("copy")["features"]}
    for f in data["features"]:
        came = back[f["id"]]
        assert came["properties"]["crop_class"] == f["properties"]["crop_class"]
        assert came["properties"].get("source") == f["properties"].get("source")
        assert came["properties"]["source_annotator"] == f["properties"]["annotator"]
        metres = [utm(g["geometry"]) for g in (f, came)]
        assert metres[0].hausdorff_distance(metres[1]) < 0.01  # within 1 cm
    assert notes == []


def test_another_tools_geoparquet_in_utm_imports_with_its_crop_names(tmp_path):
    path = tmp_path / "fiboa.parquet"
    fields = gpd.GeoDataFrame(
        {"id": ["a", "b"], "crop:name": ["rye", "oats"]},
        geometry=[box(400000, 5800000, 400100, 5800100), box(400200, 5800000, 400300, 5800100)],
        crs="EPSG:32633",
    )
    fields.to_parquet(path)
    features, _ = read_polygons(path, "crop_class", "importer", "scene")
    assert [f["properties"]["crop_class"] for f in features] == ["rye", "oats"]
    expected = fields.to_crs(4326).geometry[0].bounds
    assert shape(features[0]["geometry"]).bounds == pytest.approx(expected, abs=1e-7)
    assert [f["properties"]["crop_class"] for f in read_polygons(path, "crop:name", "i", "s")[0]]


def parquet_with_data_elsewhere(path, tmp_path):
    """A Parquet file whose footer says its column data lies in another file."""
    pq.write_table(pa.table({"x": [1]}), tmp_path / "plain.parquet")
    data = (tmp_path / "plain.parquet").read_bytes()
    meta = pq.read_metadata(tmp_path / "plain.parquet")
    meta.set_file_path("secret.parquet")
    sink = pa.BufferOutputStream()
    meta.write_metadata_file(sink)
    footer = sink.getvalue().to_pybytes()[4:-8]  # PAR1 footer length PAR1
    old = int.from_bytes(data[-8:-4], "little")
    path.write_bytes(data[: -8 - old] + footer + len(footer).to_bytes(4, "little") + b"PAR1")


def test_bad_parquet_files_get_one_line(tmp_path):
    cases = []
    junk = tmp_path / "junk.parquet"
    junk.write_bytes(b"not parquet at all")
    cases.append((junk, "is not GeoJSON, a GeoPackage, a zipped Shapefile or GeoParquet"))
    cut = tmp_path / "cut.parquet"
    pq.write_table(pa.table({"x": list(range(100))}), cut)
    cut.write_bytes(cut.read_bytes()[:-20])
    cases.append((cut, "cut.parquet is not a readable Parquet file"))
    plain = tmp_path / "plain.parquet"
    pq.write_table(
        pa.table({"crop_class": ["maize"], "wkt": ["POLYGON ((0 0, 1 0, 1 1, 0 0))"]}), plain
    )
    cases.append((plain, "without GeoParquet metadata .'geo'., so no column is declared"))
    arrow = tmp_path / "geoarrow.parquet"
    gpd.GeoDataFrame({"crop_class": ["maize"]}, geometry=[box(0, 0, 1, 1)], crs=4326).to_parquet(
        arrow, geometry_encoding="geoarrow"
    )
    cases.append((arrow, "stores its geometries as 'polygon'; only WKB is read"))
    elsewhere = tmp_path / "elsewhere.parquet"
    parquet_with_data_elsewhere(elsewhere, tmp_path)
    cases.append((elsewhere, "keeps its data in another file"))
    no_crs = tmp_path / "no_crs.parquet"
    gpd.GeoDataFrame({"crop_class": ["maize"]}, geometry=[box(0, 0, 1, 1)]).to_parquet(no_crs)
    cases.append((no_crs, "its geometries have no coordinate reference system"))
    for path, message in cases:
        with pytest.raises(LabelError, match=message):
            read_layers(path)


def test_a_small_parquet_file_that_unpacks_to_too_much_is_refused_before_reading(tmp_path):
    bomb = tmp_path / "bomb.parquet"
    column = pa.array([f"{i:08d}" + " " * 2**20 for i in range(60)])  # 60 MB of spaces
    pq.write_table(pa.table({"note": column}), bomb, compression="zstd", use_dictionary=False)
    assert bomb.stat().st_size < 2**20
    with pytest.raises(LabelError, match="unpacks to 60 MB; the limit is 50 MB"):
        read_layers(bomb)


def test_a_string_repeated_on_every_row_counts_once_per_row(tmp_path):
    """Dictionary-encoded, 200 rows sharing one 1 MB note say 1 MB in the footer and decode to
    200 MB: refused while it is read, before it is written out row by row."""
    bomb = tmp_path / "repeated.parquet"
    frame = gpd.GeoDataFrame(
        {"crop_class": ["maize"] * 200, "note": ["x" * 2**20] * 200},
        geometry=[box(i, 0, i + 0.5, 0.5) for i in range(200)],
        crs=4326,
    )
    frame.to_parquet(bomb, compression="zstd")
    assert bomb.stat().st_size < 2**20
    assert (
        sum(  # what the footer says
            g.column(j).total_uncompressed_size
            for meta in [pq.read_metadata(bomb)]
            for g in (meta.row_group(i) for i in range(meta.num_row_groups))
            for j in range(g.num_columns)
        )
        < 50 * 2**20
    )
    with pytest.raises(LabelError, match="repeated.parquet unpacks to more than the limit of 50"):
        read_layers(bomb)


def test_too_many_features_are_refused_from_the_footer(tmp_path, monkeypatch):
    monkeypatch.setattr("labels.readers.MAX_FEATURES", 3)
    many = tmp_path / "many.parquet"
    boxes = [box(i, 0, i + 0.5, 0.5) for i in range(4)]
    gpd.GeoDataFrame({"crop_class": ["maize"] * 4}, geometry=boxes, crs=4326).to_parquet(many)
    with pytest.raises(LabelError, match="many.parquet has 4 features; the limit is 3"):
        read_layers(many)


def test_damaged_wkb_is_named(tmp_path):
    path = tmp_path / "damaged.parquet"
    gpd.GeoDataFrame({"crop_class": ["maize"]}, geometry=[box(0, 0, 1, 1)], crs=4326).to_parquet(
        path
    )
    table = pq.read_table(path)
    broken = table.set_column(
        table.column_names.index("geometry"), "geometry", pa.array([b"\x01\x03junk"])
    )
    pq.write_table(broken, path)
    with pytest.raises(LabelError, match="the column 'geometry' does not hold WKB"):
        read_layers(path)
