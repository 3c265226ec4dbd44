"""The bands of a GeoTIFF asset as STAC clients read them: the ``eo`` extension (v1.1.0) names
each band and says where in the spectrum it is, the ``raster`` extension (v1.1.0) how its values
are stored.

An asset holding several bands carries ``eo:bands`` (ESA name, common name, centre wavelength
and width in micrometres) and ``raster:bands`` (data type, nodata, ``scale`` and ``offset`` with
value x scale + offset = reflectance, pixel size, unit), one entry per band in file order. With
both, odc-stac (``odc.stac.load(items, bands=["B04", "nir"])``) finds a band by its ESA or common
name and knows its data type and nodata; without them it sees one band named after the asset.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pystac
from pystac.extensions.eo import Band, EOExtension
from pystac.extensions.raster import DataType, NoDataStrings, RasterBand, RasterExtension

from imagery.pixels import dn_scale, file_nodata


@dataclass(frozen=True)
class Spectral:
    """Where a Sentinel-2 band lies in the spectrum.

    Attributes:
        common_name: the STAC ``eo`` extension's name for the band's range (``red``, ``nir``...).
        center: centre wavelength in micrometres.
        fwhm: full width at half maximum in micrometres.
    """

    common_name: str
    center: float
    fwhm: float


#: The Sentinel-2 MSI bands read here, with the values Earth Search's ``sentinel-2-l2a`` items
#: and stactools' sentinel2 package give them.
SPECTRAL: dict[str, Spectral] = {
    "B02": Spectral("blue", 0.490, 0.098),
    "B03": Spectral("green", 0.560, 0.045),
    "B04": Spectral("red", 0.665, 0.038),
    "B08": Spectral("nir", 0.842, 0.145),
}
#: Reflectance has no unit (UDUNITS' "1", odc-stac's default).
UNIT = "1"


def describe_bands(
    asset: pystac.Asset, names: Sequence[str], dtype: np.dtype, resolution: float
) -> None:
    """Add ``eo:bands`` and ``raster:bands`` to ``asset`` and the two extensions to its Item.

    Args:
        asset: an asset already added to its Item (the extensions are declared there).
        names: ESA name of each band of the file, in order (a name without spectral facts in
            :data:`SPECTRAL` gets its name only).
        dtype: the file's pixel type, one :func:`imagery.pixels.check_pixel_type` accepts; its
            scale and nodata are those :func:`imagery.geotiff.write_raster` writes.
        resolution: pixel size in metres.
    """
    eo_bands = []
    for name in names:
        facts = SPECTRAL.get(name)
        if facts is None:
            eo_bands.append(Band.create(name=name))
        else:
            eo_bands.append(
                Band.create(
                    name=name,
                    common_name=facts.common_name,
                    center_wavelength=facts.center,
                    full_width_half_max=facts.fwhm,
                )
            )
    EOExtension.ext(asset, add_if_missing=True).bands = eo_bands

    nodata = file_nodata(dtype)
    RasterExtension.ext(asset, add_if_missing=True).bands = [
        RasterBand.create(
            nodata=NoDataStrings.NAN if np.isnan(nodata) else nodata,
            data_type=DataType(dtype.name),
            scale=1 / dn_scale(dtype),
            offset=0.0,
            spatial_resolution=resolution,
            unit=UNIT,
        )
        for _ in names
    ]
