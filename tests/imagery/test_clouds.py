import numpy as np
from affine import Affine
from rasterio.crs import CRS

from imagery.clouds import cloud_warning, cloudy_fraction
from imagery.local import scenes_in_file
from imagery.raster import Raster
from imagery.read import read_area


def raster(data):
    return Raster(np.asarray(data, np.float32), CRS.from_epsg(32633), Affine(10, 0, 0, 0, -10, 0))


def test_bright_white_pixels_count_as_cloud_and_nodata_does_not():
    data = np.full((4, 10, 10), 0.05)
    data[:3, :5, :] = 0.5  # top half white
    data[:, 9, :] = np.nan
    assert cloudy_fraction(raster(data)) == 50 / 90
    assert cloud_warning(raster(data)).startswith("About 56% of this area")
    data[2, :5, :] = 0.1  # bright but not in blue: bare soil, not cloud
    assert cloudy_fraction(raster(data)) == 0.0 and cloud_warning(raster(data)) is None


def test_clear_farmland_of_the_held_out_file_gets_no_warning(austria):
    area = read_area(scenes_in_file(austria)[0], (13.12, 48.28, 13.15, 48.30))
    assert cloudy_fraction(area) < 0.01 and cloud_warning(area) is None
