import csv
import errno
import json
import os
import zipfile

import geopandas as gpd
import numpy as np
import pytest
import rasterio
import rasterio.transform
import shapely
from pyproj import Transformer
from shapely import wkt
from shapely.geometry import Polygon, box, shape

from labels.export import class_ids, export, legend_path
from labels.features import LabelError, on_grid
from labels.geometry import area_ha
from labels.imports import read_polygons
from labels.store import LabelStore
from tests.conftest import write_tif
from tests.labels.conftest import load


def test_geopackage_is_in_the_scene_utm_zone_with_the_same_areas(label_set, tmp_path):
    out = export(load(label_set), tmp_path / "x.gpkg")
    frame = gpd.read_file(out)
    assert frame.crs.to_epsg() == 32633
    expected = sorted(area_ha(f["geometry"], "EPSG:32633") for f in load(label_set)["features"])
    assert np.allclose(sorted(frame.geometry.area / 1e4), expected, rtol=1e-6)
    assert set(frame["crop_class"]) == {"maize", "winter wheat"}


def test_zipped_shapefile_and_csv(label_set, tmp_path):
    out = export(load(label_set), tmp_path / "x.zip")
    names = zipfile.ZipFile(out).namelist()
    assert {"labels.shp", "labels.shx", "labels.dbf", "labels.prj"} <= set(names)
    frame = gpd.read_file(f"/vsizip/{out}")
    assert "model_ver" in frame.columns and frame.crs.to_epsg() == 32633
    rows = list(csv.DictReader(export(load(label_set), tmp_path / "x.csv").open()))
    assert len(rows) == 2 and wkt.loads(rows[0]["WKT"]).geom_type == "Polygon"


def test_geopandas_reads_the_csv_geometries_crs_and_types_without_options(label_set, tmp_path):
    data = load(label_set)
    ring = [[12.591, 52.476], [12.594, 52.476], [12.594, 52.478], [12.591, 52.478]]
    data["features"][0]["geometry"] = {  # an old set: 15 decimals
        "type": "Polygon",
        "coordinates": [[[x + 1.23e-13, y] for x, y in [*ring, ring[0]]]],
    }
    out = export(data, tmp_path / "x.csv")
    assert {p.name for p in tmp_path.iterdir()} >= {"x.csv", "x.prj", "x.csvt"}
    frame = gpd.read_file(out)  # GDAL's CSV driver (pyogrio), no options
    assert frame.crs.to_epsg() == 4326
    assert frame["rev"].dtype.kind == "i" and frame["area_ha"].dtype.kind == "f"
    for row, f in zip(frame.itertuples(), data["features"], strict=True):
        assert row.id == f["id"] and row.crop_class == f["properties"]["crop_class"]
        assert row.geometry.normalize().equals_exact(
            shape(f["geometry"]).normalize(), 1e-7
        )  # lon/lat, to 1 cm
    text = out.read_text()
    assert "12.591 52.476" in text and "12.5910000000001" not in text  # 7 decimals at most


def test_rounding_never_makes_a_polygon_invalid():
    # a notch 0.4 mm deep in degrees: rounding to 7 decimals would make its edges cross
    notch = Polygon(
        [(0, 0), (1e-5, 0), (1e-5, 1e-5), (5.004e-6, 1e-5), (5.006e-6, 4e-9), (4.996e-6, 1e-5),
         (0, 1e-5)]
    )  # fmt: skip
    assert notch.is_valid
    assert not shapely.transform(notch, lambda xy: np.round(xy, 7)).is_valid  # plain rounding
    assert on_grid(notch).is_valid
    assert on_grid(box(12.12345678, 52, 12.2, 52.1)).bounds[0] == 12.1234568  # 7 decimals


@pytest.mark.parametrize(("image", "pixel"), [("enhanced", 2.5), ("original", 10.0)])
def test_mask_is_aligned_to_the_image_grid(label_set, tmp_path, image, pixel):
    out = export(load(label_set), tmp_path / f"{image}.tif", image)
    with rasterio.open(out) as ds:
        assert ds.res == (pixel, pixel) and ds.crs.to_epsg() == 32633
        mask, tags = ds.read(1), ds.tags()
    # ids follow the set's class list (the default one here: winter wheat first, then maize)
    assert tags["CLASS_0"] == "unlabelled"
    assert tags["CLASS_1"] == "winter wheat" and tags["CLASS_2"] == "maize"
    for feature in load(label_set)["features"]:
        cid = 2 if feature["properties"]["crop_class"] == "maize" else 1
        counted = (mask == cid).sum() * pixel**2 / 1e4
        assert counted == pytest.approx(
            area_ha(feature["geometry"], "EPSG:32633"), rel=0.15 if pixel == 10 else 0.03
        )


def test_mask_ids_follow_the_class_list_so_two_sets_compare(label_set, tmp_path):
    data = load(label_set)
    only_maize = {
        **data,
        "features": [f for f in data["features"] if f["properties"]["crop_class"] == "maize"],
    }
    ids = [
        json.loads(legend_path(export(d, tmp_path / f"{i}.tif", "original")).read_text())
        for i, d in enumerate((data, only_maize))
    ]
    assert ids[0] == ids[1] and ids[0]["2"] == {"class": "maize", "colour": "#1b9e77"}
    with rasterio.open(tmp_path / "0.tif") as ds:
        assert ds.colormap(1)[2] == (0x1B, 0x9E, 0x77, 255)
    data["label_set"]["classes"] = {"maize": "#00ff00", "rye": "#0000ff"}  # the set's own list
    assert class_ids(data) == {"maize": 1, "rye": 2, "winter wheat": 3}  # unlisted, used: after


def test_a_shapefile_refuses_text_it_cannot_hold_and_keeps_the_old_file(label_set, tmp_path):
    data = load(label_set)
    out = export(data, tmp_path / "x.zip")
    before = out.read_bytes()
    data["features"][0]["properties"]["crop_class"] = "maize " * 2000  # 12 kB
    with pytest.raises(LabelError, match="at most 254 bytes of text.*'crop_class'.*GeoPackage"):
        export(data, out)
    assert out.read_bytes() == before
    assert export(data, tmp_path / "x.gpkg").exists()  # a GeoPackage holds it
    assert len(gpd.read_file(tmp_path / "x.gpkg")["crop_class"][0]) == 12000


@pytest.mark.parametrize("suffix", [".geojson", ".gpkg", ".zip", ".csv", ".parquet", ".tif"])
def test_a_failed_export_leaves_the_old_file_and_nothing_else(
    label_set, tmp_path, suffix, monkeypatch
):
    out = tmp_path / "out" / f"x{suffix}"
    out.parent.mkdir()
    export(load(label_set), out)
    before = {p.name: p.read_bytes() for p in out.parent.iterdir()}

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "replace", full)  # the last step: everything before it was written
    with pytest.raises(LabelError, match=rf"x\{suffix} could not be written .No space left"):
        export(load(label_set), out)
    assert {p.name: p.read_bytes() for p in out.parent.iterdir()} == before


def test_geojson_export_follows_rfc7946(label_set, tmp_path):
    data = load(label_set)
    ring = [[12.591, 52.476], [12.591, 52.478], [12.594, 52.478], [12.594, 52.476]]
    data["features"][0]["geometry"] = {  # an old set: clockwise, 15 decimals
        "type": "Polygon",
        "coordinates": [[[x + 1e-13, y] for x, y in ring] + [[ring[0][0] + 1e-13, ring[0][1]]]],
    }
    out = json.loads(export(data, tmp_path / "x.geojson").read_text())
    for f in out["features"]:
        exterior = shape(f["geometry"]).exterior
        assert exterior.is_ccw
        assert all(len(repr(c).partition(".")[2]) <= 7 for xy in exterior.coords for c in xy)


@pytest.mark.parametrize(
    ("crs", "origin", "res"),
    [("EPSG:32633", (336300.0, 5817100.0), 5.0), ("EPSG:4326", (12.589, 52.48), 0.00005)],
)
def test_a_mask_on_any_rasters_grid_for_a_set_made_by_import(label_set, tmp_path, crs, origin, res):
    imported = read_polygons(
        export(load(label_set), tmp_path / "x.geojson"), "crop_class", "i", "s"
    )
    LabelStore(tmp_path / "sets").apply("imported", imported[0])
    data = LabelStore(tmp_path / "sets").load("imported")
    assert "grid" not in data["label_set"]  # no image grid recorded
    like = write_tif(
        tmp_path / "like.tif", np.zeros((1, 100, 200), np.uint16), origin, res, crs, ("B04",)
    )
    out = export(data, tmp_path / "mask.tif", like=like)
    with rasterio.open(like) as ref, rasterio.open(out) as ds:
        assert (ds.crs, ds.transform, ds.width, ds.height) == (
            ref.crs,
            ref.transform,
            ref.width,
            ref.height,
        )
        mask = ds.read(1)
    ids = class_ids(data)  # the default list: winter wheat 1, maize 2
    to_grid = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    for feature in data["features"]:
        inside = shape(feature["geometry"]).representative_point()
        row, col = rasterio.transform.rowcol(ds.transform, *to_grid.transform(inside.x, inside.y))
        assert mask[row, col] == ids[feature["properties"]["crop_class"]]
    assert mask[0, 0] == 0 and mask[-1, -1] == 0  # outside every polygon
    assert set(np.unique(mask)) == {0, 1, 2}


def test_a_raster_that_cannot_be_used_gets_one_line(label_set, tmp_path):
    data = load(label_set)
    junk = tmp_path / "junk.tif"
    junk.write_text("not a raster")
    far = write_tif(
        tmp_path / "far.tif", np.zeros((1, 10, 10), np.uint16), (6e5, 5e6), descriptions=None
    )
    local = tmp_path / "local.tif"  # a CRS of no place on Earth (an engineering grid)
    with rasterio.open(
        local, "w", driver="GTiff", width=10, height=10, count=1, dtype="uint8",
        crs=rasterio.crs.CRS.from_wkt('LOCAL_CS["grid",UNIT["metre",1]]'),
        transform=rasterio.transform.from_origin(0, 10, 1, 1),
    ) as ds:  # fmt: skip
        ds.write(np.zeros((1, 10, 10), np.uint8))
    cases = [
        (tmp_path / "mask.tif", junk, "cannot open junk.tif as a raster"),
        (tmp_path / "mask.tif", local, "local.tif is not on a map"),
        (tmp_path / "mask.tif", far, "the label set does not overlap far.tif"),
        (tmp_path / "x.gpkg", far, "like far.tif. is for a .tif mask"),
    ]
    for out, like, message in cases:
        with pytest.raises(LabelError, match=message):
            export(data, out, like=like)
    assert not (tmp_path / "mask.tif").exists()
