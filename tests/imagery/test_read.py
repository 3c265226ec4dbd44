from pathlib import Path

import numpy as np
import pytest
import rasterio
from rasterio.warp import transform_bounds
from shapely.geometry import shape

from imagery.errors import AreaError, ImageryError
from imagery.local import scenes_in_file
from imagery.read import read_area, read_preview
from tests.conftest import write_tif


def test_reads_the_window_of_the_demo_scene_as_reflectance(demo_scene: Path):
    [scene] = scenes_in_file(demo_scene)
    bbox = (12.58, 52.47, 12.61, 52.49)
    raster = read_area(scene, bbox)
    assert raster.bands == ("B04", "B03", "B02", "B08")
    assert raster.data.dtype == np.float32 and raster.crs.to_epsg() == 32633
    assert raster.resolution == 10.0
    assert raster.transform.c % 10 == 0 and raster.transform.f % 10 == 0  # on the 10 m grid
    # The window covers the box (snapped outward to whole pixels).
    left, bottom, right, top = transform_bounds("EPSG:4326", raster.crs, *bbox)
    rl, rb, rr, rt = raster.bounds
    assert rl <= left < rl + 10 and rr - 10 < right <= rr
    assert rb <= bottom < rb + 10 and rt - 10 < top <= rt
    # Same pixels as the file, divided by 10000.
    with rasterio.open(demo_scene) as ds:
        window = rasterio.windows.from_bounds(*raster.bounds, ds.transform)
        dn = ds.read(4, window=window.round_offsets().round_lengths())
    np.testing.assert_allclose(raster.band("B08"), dn / 10000, rtol=1e-6)
    assert 0.0 < np.nanmedian(raster.data) < 0.5


def test_austria_second_date_differs_from_first(austria: Path):
    first, second = scenes_in_file(austria)
    bbox = (13.12, 48.28, 13.15, 48.30)
    a, b = read_area(first, bbox), read_area(second, bbox)
    assert a.data.shape == b.data.shape
    assert not np.allclose(a.data, b.data)


def test_nodata_is_nan(tmp_path: Path):
    data = np.full((4, 20, 20), 1200, np.uint16)
    data[:, :5, :] = 0
    [scene] = scenes_in_file(write_tif(tmp_path / "holes.tif", data))
    raster = read_area(scene, shape(scene.footprint).bounds)
    assert np.isnan(raster.data[:, :5]).all()
    assert np.allclose(raster.data[:, 5:], 0.12)


@pytest.mark.parametrize(
    ("bbox", "message"),
    [
        ((12.6, 52.48, 12.6, 52.49), "empty"),
        ((2.0, 48.0, 2.1, 48.1), "outside"),
        ((12.45, 52.45, 12.60, 52.52), "limit is 512 x 512"),
    ],
)
def test_bad_areas_get_clear_messages(demo_scene: Path, bbox, message):
    [scene] = scenes_in_file(demo_scene)
    with pytest.raises(AreaError, match=message):
        read_area(scene, bbox, max_size=512)


def test_area_of_only_nodata_is_refused(tmp_path: Path):
    [scene] = scenes_in_file(write_tif(tmp_path / "empty.tif", np.zeros((4, 8, 8), np.uint16)))
    with pytest.raises(AreaError, match="no data"):
        read_area(scene, shape(scene.footprint).bounds)


def test_file_that_vanished_or_is_corrupt(tmp_path: Path):
    path = write_tif(tmp_path / "x.tif", np.ones((4, 8, 8), np.uint16))
    [scene] = scenes_in_file(path)
    bbox = shape(scene.footprint).bounds
    path.write_bytes(b"garbage")
    with pytest.raises(ImageryError, match="Cannot read scene x"):
        read_area(scene, bbox)


def test_preview_of_the_whole_demo_scene_is_small_reflectance_over_the_same_area(demo_scene):
    [scene] = scenes_in_file(demo_scene)
    preview = read_preview(scene)
    assert max(preview.width, preview.height) <= 768
    assert preview.bands == ("B04", "B03", "B02", "B08") and preview.data.dtype == np.float32
    with rasterio.open(demo_scene) as ds:
        assert preview.crs == ds.crs
        assert preview.width / preview.height == pytest.approx(ds.width / ds.height, rel=0.01)
        bounds = ds.bounds
        dn = ds.read(masked=True)
    assert np.allclose(preview.bounds, bounds, atol=preview.resolution)  # within a pixel
    values = preview.data[np.isfinite(preview.data)]
    assert values.size > 0.9 * preview.data.size
    # Reflectance, not digital numbers: 0-1.5 but for a few saturated L1C pixels (bright
    # clouds, up to DN 25216 in this file), and each band averages to the file's mean / 10000.
    assert values.min() >= 0 and values.max() <= dn.max() / 10000
    assert np.mean(values <= 1.5) > 0.9999
    band_means = np.nanmean(preview.data, axis=(1, 2))
    np.testing.assert_allclose(band_means, dn.mean(axis=(1, 2)) / 10000, rtol=0.01)


def test_preview_of_a_small_file_keeps_its_pixels_and_nodata(tmp_path: Path):
    data = np.full((4, 20, 30), 1200, np.uint16)
    data[:, :5, :] = 0
    [scene] = scenes_in_file(write_tif(tmp_path / "small.tif", data))
    preview = read_preview(scene)
    assert (preview.height, preview.width) == (20, 30) and preview.resolution == 10.0
    assert np.isnan(preview.data[:, :5]).all() and np.allclose(preview.data[:, 5:], 0.12)
    halved = read_preview(scene, max_size=15)
    assert (halved.height, halved.width) == (10, 15) and halved.resolution == 20.0
    assert halved.bounds == preview.bounds
