import datetime as dt
from pathlib import Path

import numpy as np
from shapely.geometry import Point, shape

from imagery.local import LocalCatalog, scene_tags, scenes_in_file
from imagery.raster import BANDS
from imagery.read import read_area
from tests.conftest import write_tif


def test_demo_scene_is_found_with_its_date_tile_and_footprint(demo_scene: Path):
    [scene] = LocalCatalog([demo_scene.parent]).search()
    assert scene.id == demo_scene.stem
    assert scene.date == dt.date(2017, 2, 16) and scene.tile == "T33UUU"
    assert [b.name for b in scene.bands] == ["B04", "B03", "B02", "B08"]
    # Tile T33UUU, west of Berlin: the footprint holds a point near Brandenburg an der Havel.
    footprint = shape(scene.footprint)
    assert footprint.contains(Point(12.6, 52.47))
    assert not footprint.contains(Point(13.4, 52.5))  # Berlin itself lies east of the sample


def test_austria_file_without_descriptions_is_two_acquisitions(austria: Path):
    scenes = scenes_in_file(austria)
    assert [s.id for s in scenes] == [f"{austria.stem}#1", f"{austria.stem}#2"]
    assert [b.index for b in scenes[1].bands] == [5, 6, 7, 8]
    assert shape(scenes[0].footprint).contains(Point(13.14, 48.29))


def test_bands_named_as_n_acquisitions_are_n_acquisitions_with_the_files_date(tmp_path: Path):
    """As ``sr enhance`` writes a multi-date file: B04, B03, B02, B08 twice, dated and tiled."""
    data = np.stack([np.full((8, 8), 100 * (i + 1), np.uint16) for i in range(8)])
    tags = {"ACQUISITION_DATE": "2021-05-03", "TILE_ID": "T33UUP"}
    path = write_tif(tmp_path / "two.tif", data, descriptions=BANDS * 2, tags=tags)
    first, second = scenes_in_file(path)
    assert (first.id, second.id) == ("two#1", "two#2")
    assert [(b.name, b.index) for b in second.bands] == list(zip(BANDS, [5, 6, 7, 8], strict=True))
    assert scene_tags(second) == tags  # what an enhanced file writes back
    assert np.allclose(read_area(second, shape(second.footprint).bounds).data[0], 0.05)
    assert scene_tags(scenes_in_file(write_tif(tmp_path / "bare.tif", data[:4]))[0]) == {}


def test_search_filters_by_area_and_keeps_unknown_dates(tmp_path: Path, demo_scene: Path):
    write_tif(tmp_path / "undated.tif", np.ones((4, 8, 8), np.uint16))
    catalog = LocalCatalog([demo_scene.parent, tmp_path])
    assert len(catalog.search()) == 2
    over_demo = (12.55, 52.45, 12.6, 52.5)
    assert [s.id for s in catalog.search(over_demo)] == [demo_scene.stem]
    after = catalog.search(start=dt.date(2020, 1, 1))
    assert [s.id for s in after] == ["undated"]  # the demo (2017) is filtered out


def test_unusable_files_are_reported_not_fatal(tmp_path: Path):
    write_tif(tmp_path / "five.tif", np.ones((5, 4, 4), np.uint16), descriptions=None)
    write_tif(
        tmp_path / "named.tif", np.ones((4, 4, 4), np.uint16), descriptions=("a", "b", "c", "d")
    )
    (tmp_path / "broken.tif").write_bytes(b"not a tiff at all")
    (tmp_path / "notes.txt").write_text("ignored")
    catalog = LocalCatalog([tmp_path])
    assert catalog.scenes == []
    problems = "\n".join(catalog.problems)
    assert "five.tif: 5 bands" in problems
    assert "named.tif: band descriptions" in problems
    assert "broken.tif" in problems
    assert "notes.txt" not in problems


def test_true_colour_files_are_scenes_of_red_green_blue(tmp_path: Path):
    tci = np.full((3, 8, 8), 85, np.uint8)  # 8-bit, as ESA's TCI: 0 is nodata, declared or not
    tci[:, 0, :] = 0
    write_tif(tmp_path / "tci.tif", tci, descriptions=None, nodata=None)
    bgr = np.stack([np.full((8, 8), v, np.uint16) for v in (300, 600, 900)])  # B02, B03, B04
    write_tif(tmp_path / "bgr.tif", bgr, descriptions=("B02", "B03", "B04"))
    write_tif(tmp_path / "mask.tif", np.ones((1, 8, 8), np.uint8), descriptions=None)
    catalog = LocalCatalog([tmp_path])
    scenes = {s.id: s for s in catalog.search()}
    assert sorted(scenes) == ["bgr", "tci"]
    for scene in scenes.values():
        assert [b.name for b in scene.bands] == ["B04", "B03", "B02"]
    assert [b.index for b in scenes["bgr"].bands] == [3, 2, 1]
    assert catalog.problems == [
        "mask.tif: mask.tif has uint8 pixels in 1 band(s); accepted are reflectance x 10000 as "
        "16-bit integers (Sentinel-2 L1C/L2A), reflectance as floats, or a true-colour image of "
        "3 bands of 8 bits (red, green, blue, like Sentinel-2's TCI)"
    ]
    area = read_area(scenes["tci"], shape(scenes["tci"].footprint).bounds)
    assert area.bands == ("B04", "B03", "B02")
    assert np.isnan(area.data[:, 0]).all() and np.allclose(area.data[:, 1:], 0.1)
    area = read_area(scenes["bgr"], shape(scenes["bgr"].footprint).bounds)
    assert np.allclose(area.data.mean(axis=(1, 2)), [0.09, 0.06, 0.03])  # red first
