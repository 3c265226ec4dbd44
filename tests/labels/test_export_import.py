import csv
import json
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import rasterio
from shapely import wkt
from shapely.geometry import box, mapping, shape

from imagery.local import scenes_in_file
from imagery.read import read_area
from labels.cli import main
from labels.export import export
from labels.features import LabelError, new_feature
from labels.geometry import area_ha
from labels.imports import read_polygons
from labels.store import LabelStore

AREA = (12.59, 52.475, 12.60, 52.48)


@pytest.fixture
def label_set(tmp_path: Path, demo_scene: Path) -> Path:
    area = read_area(scenes_in_file(demo_scene)[0], AREA)
    grid = area.grid
    fields = [
        new_feature(
            mapping(box(12.591, 52.476, 12.594, 52.478)),
            "maize",
            "ana",
            "demo",
            "enhanced",
            "decrappify",
            None,
            "abc",
        ),
        new_feature(
            mapping(box(12.595, 52.476, 12.5985, 52.4785)),
            "winter wheat",
            "ben",
            "demo",
            "original",
        ),
    ]
    LabelStore(tmp_path).apply("trial", fields, info={"scene_id": "demo", "grid": grid})
    return tmp_path / "trial.geojson"


def load(path: Path):
    return json.loads(path.read_text())


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
    assert tags["CLASS_1"] == "maize" and tags["CLASS_2"] == "winter wheat"
    for feature in load(label_set)["features"]:
        cid = 1 if feature["properties"]["crop_class"] == "maize" else 2
        counted = (mask == cid).sum() * pixel**2 / 1e4
        assert counted == pytest.approx(
            area_ha(feature["geometry"], "EPSG:32633"), rel=0.15 if pixel == 10 else 0.03
        )


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


def test_bad_imports_change_nothing(label_set, tmp_path, capsys):
    before = label_set.read_text()
    bad = tmp_path / "bad.geojson"
    bad.write_text(
        '{"type": "FeatureCollection", "features": [{"type": "Feature", '
        '"properties": {"crop_class": "maize"}, "geometry": {"type": "Point", '
        '"coordinates": [12.6, 52.47]}}]}'
    )
    assert main(["import", str(bad), str(label_set)]) == 1
    assert "feature 1: only polygons" in capsys.readouterr().err
    (tmp_path / "junk.gpkg").write_bytes(b"junk")
    assert main(["import", str(tmp_path / "junk.gpkg"), str(label_set)]) == 1
    assert "cannot read junk.gpkg" in capsys.readouterr().err
    assert main(["import", str(label_set), str(label_set), "--class-field", "kind"]) == 1
    assert "no field 'kind'" in capsys.readouterr().err
    assert label_set.read_text() == before
    with pytest.raises(LabelError, match="use one of"):
        export(load(label_set), tmp_path / "x.kml")


def test_cli_stats_export_import(label_set, tmp_path, capsys):
    assert main(["stats", str(label_set)]) == 0
    out = capsys.readouterr().out
    assert "| maize | 1 |" in out and "| winter wheat | 1 |" in out
    assert main(["export", str(label_set), str(tmp_path / "o.zip")]) == 0
    capsys.readouterr()
    target = tmp_path / "other.geojson"
    assert main(["import", str(tmp_path / "o.zip"), str(target)]) == 0
    assert json.loads(capsys.readouterr().out) == {"imported": 2, "in_set": 2}
