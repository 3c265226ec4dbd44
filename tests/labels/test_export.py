import csv
import errno
import json
import os
import zipfile

import geopandas as gpd
import numpy as np
import pytest
import rasterio
from shapely import wkt
from shapely.geometry import shape

from labels.export import class_ids, export, legend_path
from labels.features import LabelError
from labels.geometry import area_ha
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
    assert len(rows) == 2 and wkt.loads(rows[0]["wkt"]).geom_type == "Polygon"


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


@pytest.mark.parametrize("suffix", [".geojson", ".gpkg", ".zip", ".csv", ".tif"])
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
