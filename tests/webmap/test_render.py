import io
from pathlib import Path

import numpy as np
from affine import Affine
from PIL import Image
from pyproj import Transformer
from rasterio.crs import CRS
from shapely.geometry import shape

from imagery.local import scenes_in_file
from imagery.raster import Raster
from imagery.read import read_area
from sr.enhance import enhance
from tests.conftest import write_tif
from webmap.render import overlay, to_rgba

TO_MERCATOR = Transformer.from_crs("EPSG:4326", "EPSG:3857", always_xy=True)
TO_UTM = Transformer.from_crs("EPSG:4326", "EPSG:32633", always_xy=True)


def locate_peak(png: bytes, bounds: list[list[float]]) -> tuple[float, float]:
    """Longitude/latitude of the brightest spot of an overlay, placed the way Leaflet places it:
    linearly in Web Mercator between the overlay's corners."""
    red = np.asarray(Image.open(io.BytesIO(png)))[..., 0].astype(float)
    row, col = np.unravel_index(np.argmax(red), red.shape)
    win = red[row - 8 : row + 9, col - 8 : col + 9]
    weights = np.clip(win - np.median(red), 0, None)
    rows, cols = np.mgrid[row - 8 : row + 9, col - 8 : col + 9]
    y = (weights * (rows + 0.5)).sum() / weights.sum()
    x = (weights * (cols + 0.5)).sum() / weights.sum()
    (south, west), (north, east) = bounds
    left, bottom = TO_MERCATOR.transform(west, south)
    right, top = TO_MERCATOR.transform(east, north)
    mx = left + x / red.shape[1] * (right - left)
    my = top - y / red.shape[0] * (top - bottom)
    return TO_MERCATOR.transform(mx, my, direction="INVERSE")


def test_a_ground_point_lands_where_the_map_draws_it(tmp_path: Path):
    # A bright 10 m pixel whose centre is a known UTM point, in a real S2-like grid near 52.5 N.
    data = np.full((4, 60, 60), 1000, np.uint16)
    data[:, 31, 23] = 5000
    origin = (330000.0, 5822040.0)
    path = write_tif(tmp_path / "point.tif", data, origin=origin)
    point = (origin[0] + 23.5 * 10, origin[1] - 31.5 * 10)

    [scene] = scenes_in_file(path)
    west, south, east, north = shape(scene.footprint).bounds
    pad = 0.1 * (east - west)
    area = read_area(scene, (west + pad, south + pad, east - pad, north - pad))
    sr = enhance(area, "bicubic", scale=4, device="cpu")
    limits = ((0.1, 0.5),) * 3
    for raster, tolerance in ((area, 5.0), (sr, 5.0)):
        img = overlay(raster, "true", limits)
        lon, lat = locate_peak(img.png, img.bounds)
        x, y = TO_UTM.transform(lon, lat)
        error = float(np.hypot(x - point[0], y - point[1]))
        assert error < tolerance, f"{error:.2f} m off at {raster.resolution} m"


def test_nodata_is_transparent_and_false_colour_puts_nir_in_red():
    data = np.full((4, 4, 4), 0.1, np.float32)
    data[3] = 0.4  # B08 bright: vegetation
    data[:, 0, 0] = np.nan
    raster = Raster(data, CRS.from_epsg(32633), Affine(10, 0, 0, 0, -10, 0))
    rgba = to_rgba(raster, "false", ((0.0, 0.4),) * 3)
    assert rgba[0, 0, 3] == 0 and (rgba[1:, 1:, 3] == 255).all()
    assert rgba[1, 1, 0] == 255 and rgba[1, 1, 1] < 100  # NIR shown as red
    true = to_rgba(raster, "true", ((0.0, 0.4),) * 3)
    assert true[1, 1, 0] == true[1, 1, 1] == true[1, 1, 2] < 100
