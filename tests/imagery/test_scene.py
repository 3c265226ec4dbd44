import datetime as dt

import numpy as np
import pytest
from shapely.geometry import box, mapping

from imagery.scene import BandSource, Scene, matches

FOOTPRINT = mapping(box(12.0, 52.0, 13.0, 53.0))


def scene(date=dt.date(2021, 6, 15), cloud=20.0, tile="T33UUU") -> Scene:
    bands = tuple(BandSource(n, f"/data/{n}.tif") for n in ("B04", "B03", "B02", "B08"))
    return Scene("S2_demo", "local", date, tile, cloud, FOOTPRINT, bands)


def search(s: Scene, bbox=None, start=None, end=None, max_cloud=None) -> bool:
    return matches(s, bbox, start=start, end=end, max_cloud=max_cloud)


def test_reflectance_scales_digital_numbers_and_masks_nodata():
    dn = np.ma.masked_equal(np.array([[0, 1000], [10000, 65535]], np.uint16), 0)
    refl = BandSource("B04", "x.tif").reflectance(dn)
    assert refl.dtype == np.float32
    assert np.isnan(refl[0, 0])
    np.testing.assert_allclose(refl[[0, 1, 1], [1, 0, 1]], [0.1, 1.0, 6.5535], rtol=1e-6)


def test_reflectance_applies_the_offset_of_newer_l2a_products():
    dn = np.ma.masked_array(np.array([1000, 1500, 11000], np.uint16), mask=[False, False, True])
    refl = BandSource("B08", "x.tif", index=4, scale=1e-4, offset=-0.1).reflectance(dn)
    np.testing.assert_allclose(refl[:2], [0.0, 0.05], atol=1e-7)
    assert np.isnan(refl[2]) and refl.dtype == np.float32


def test_label_lists_what_is_known():
    assert scene().label == "S2_demo · 2021-06-15 · T33UUU · 20% cloud"
    assert scene(date=None, cloud=None, tile=None).label == "S2_demo"
    assert scene(cloud=0.0, tile=None).label == "S2_demo · 2021-06-15 · 0% cloud"


def test_footprint_intersection():
    s = scene()
    assert s.intersects((12.5, 52.5, 12.6, 52.6))  # inside
    assert s.intersects((12.9, 52.9, 13.5, 53.5))  # overlapping a corner
    assert not s.intersects((14.0, 52.0, 15.0, 53.0))  # east of it


@pytest.mark.parametrize(
    ("filters", "passes"),
    [
        ({}, True),
        ({"bbox": (12.5, 52.5, 12.6, 52.6)}, True),
        ({"bbox": (2.0, 48.0, 2.1, 48.1)}, False),
        ({"start": dt.date(2021, 6, 15), "end": dt.date(2021, 6, 15)}, True),  # inclusive
        ({"start": dt.date(2021, 6, 16)}, False),
        ({"end": dt.date(2021, 6, 14)}, False),
        ({"max_cloud": 20.0}, True),
        ({"max_cloud": 19.9}, False),
    ],
)
def test_matches_filters_by_area_dates_and_cloud(filters, passes):
    assert search(scene(), **filters) is passes


def test_unknown_date_or_cloud_cover_passes_those_filters():
    unknown = scene(date=None, cloud=None)
    assert search(unknown, start=dt.date(2030, 1, 1), end=dt.date(2000, 1, 1), max_cloud=0)
    assert not search(unknown, bbox=(2.0, 48.0, 2.1, 48.1))  # the area still counts
