"""Other dates of the same ground: which acquisitions they are, and their pixels on the loaded
area's grid (a multi-date file, a file of the same tile on a shifted grid, the Austria file)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import rasterio
from rasterio.windows import from_bounds
from shapely.geometry import shape

from imagery.dates import other_dates, read_on_grid
from imagery.errors import AreaError
from imagery.local import LocalCatalog, scenes_in_file
from imagery.raster import BANDS
from imagery.read import read_area
from tests.conftest import write_tif

ORIGIN = (400_000.0, 5_800_000.0)


def two_dates(tmp_path: Path, name: str = "two", tile: str = "T33UUP") -> Path:
    """64 x 64 px, 10 m, bands B04, B03, B02, B08 twice: date B is date A plus 1000 (0.1)."""
    rng = np.random.default_rng(3)
    first = rng.integers(200, 3000, (4, 64, 64)).astype(np.uint16)
    data = np.concatenate([first, first + 1000])
    tags = {"ACQUISITION_DATE": "2021-06-17", "TILE_ID": tile}
    return write_tif(tmp_path / f"{name}.tif", data, descriptions=BANDS * 2, tags=tags)


def inner_box(scene) -> tuple[float, float, float, float]:
    west, south, east, north = shape(scene.footprint).bounds
    return (west + 0.2 * (east - west), south + 0.3 * (north - south),
            east - 0.25 * (east - west), north - 0.2 * (north - south))  # fmt: skip


def test_the_other_date_of_a_file_is_read_on_the_same_pixels(tmp_path: Path):
    two_dates(tmp_path)
    write_tif(tmp_path / "elsewhere.tif", np.ones((4, 8, 8), np.uint16), origin=(500_000, 5e6))
    catalog = LocalCatalog([tmp_path])
    a, b = (s for s in catalog.scenes if s.id.startswith("two"))
    bbox = inner_box(a)
    assert other_dates(a, catalog.search(), bbox) == [b]  # not itself, not the other ground
    area = read_area(a, bbox)
    later = read_on_grid(b, area)
    assert later.crs == area.crs and later.transform == area.transform
    assert later.bands == BANDS and later.data.shape == area.data.shape
    np.testing.assert_allclose(later.data, area.data + 0.1, atol=1e-6)  # the same pixels
    np.testing.assert_array_equal(later.data, read_area(b, bbox).data)


def test_another_file_of_the_tile_on_a_shifted_grid_is_resampled_onto_the_area(tmp_path: Path):
    """A file of the same tile whose pixels start half a pixel east: its values at the area's
    pixel centres are the mean of the two pixels either side (bilinear)."""
    cols = np.arange(64, dtype=np.uint16) * 10 + 1000
    ramp = np.broadcast_to(cols, (4, 64, 64)).copy()
    tags = {"TILE_ID": "T33UUP"}
    a_path = write_tif(tmp_path / "a.tif", ramp, tags=tags)
    write_tif(tmp_path / "b.tif", ramp, origin=(ORIGIN[0] + 5, ORIGIN[1]), tags=tags)
    [a], [b] = scenes_in_file(a_path), scenes_in_file(tmp_path / "b.tif")
    bbox = inner_box(a)
    assert other_dates(a, [a, b], bbox) == [b]
    area = read_area(a, bbox)
    later = read_on_grid(b, area)
    assert later.transform == area.transform and later.data.shape == area.data.shape
    # b's pixel k (centre x + 5 m) holds a's value of pixel k: half a step lower at a's centres
    np.testing.assert_allclose(later.data[:, :, 1:-1], area.data[:, :, 1:-1] - 0.0005, atol=1e-5)


def test_other_ground_and_areas_outside_it_are_no_other_date(tmp_path: Path):
    a_path = two_dates(tmp_path, "here", tile="T33UUP")
    far = write_tif(tmp_path / "far.tif", np.ones((4, 8, 8), np.uint16), origin=(600_000, 5e6))
    [a, b], [c] = scenes_in_file(a_path), scenes_in_file(far)
    _, south, east, north = shape(a.footprint).bounds
    assert other_dates(a, [a, b, c], inner_box(a)) == [b]
    assert other_dates(a, [a, b, c], (east + 1, south, east + 2, north)) == []
    with pytest.raises(AreaError, match="outside"):
        read_on_grid(c, read_area(a, inner_box(a)))  # c has no pixel there


def test_date_b_of_the_austria_file_is_its_bands_5_to_8_under_the_area(austria: Path):
    a, b = scenes_in_file(austria)
    bbox = (13.12, 48.28, 13.15, 48.30)
    area = read_area(a, bbox)
    later = read_on_grid(b, area)
    with rasterio.open(austria) as ds:
        window = from_bounds(*area.bounds, ds.transform).round_offsets().round_lengths()
        dn = ds.read([5, 6, 7, 8], window=window).astype(np.float32)
    np.testing.assert_allclose(later.data, dn / 10_000, rtol=1e-6)
    assert not np.allclose(later.data, area.data)  # another date indeed
