"""The STAC description of a file's bands: names and wavelengths (eo), storage (raster)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pystac
import pytest
from pystac.extensions.eo import EOExtension
from pystac.extensions.raster import RasterExtension

from imagery.pixels import TCI_SCALE
from imagery.stac_bands import describe_bands


def _asset() -> pystac.Asset:
    item = pystac.Item("x", None, None, dt.datetime(2021, 5, 3, tzinfo=dt.UTC), {})
    asset = pystac.Asset("./x.tif", media_type=pystac.MediaType.COG, roles=["data"])
    item.add_asset("enhanced", asset)
    return asset


@pytest.mark.parametrize(
    ("dtype", "scale", "nodata"),
    [("uint16", 1e-4, 0), ("uint8", 1 / TCI_SCALE, 0), ("float32", 1.0, "nan")],
)
def test_each_band_says_how_its_values_become_reflectance(dtype, scale, nodata):
    asset = _asset()
    describe_bands(asset, ["B04", "B03", "B02", "B08"], np.dtype(dtype), 2.5)
    assert asset.owner is not None
    assert EOExtension.has_extension(asset.owner) and RasterExtension.has_extension(asset.owner)
    stored = asset.extra_fields["raster:bands"]
    assert len(stored) == 4
    for band in stored:
        assert band["data_type"] == dtype and band["nodata"] == nodata
        assert band["scale"] == pytest.approx(scale) and band["offset"] == 0.0
        assert band["spatial_resolution"] == 2.5 and band["unit"] == "1"


def test_bands_are_named_with_common_names_and_wavelengths_in_micrometres():
    asset = _asset()
    describe_bands(asset, ["B04", "B03", "B02", "B08", "band5"], np.dtype("uint16"), 2.5)
    bands = EOExtension.ext(asset).bands or []
    assert [b.name for b in bands] == ["B04", "B03", "B02", "B08", "band5"]
    assert [b.common_name for b in bands] == ["red", "green", "blue", "nir", None]
    assert [b.center_wavelength for b in bands[:4]] == [0.665, 0.56, 0.49, 0.842]
    assert all(0.03 < (b.full_width_half_max or 0) < 0.15 for b in bands[:4])
