"""Whole-scene previews: a scene read at reduced resolution (from overviews where there are)."""

from __future__ import annotations

import numpy as np
import rasterio
from affine import Affine
from rasterio.enums import Resampling
from rasterio.errors import RasterioError

from sr.errors import ImageryError
from sr.raster import Raster
from sr.read import HTTP_ENV
from sr.scene import Scene


def read_preview(scene: Scene, max_size: int = 768) -> Raster:
    """The whole scene, averaged down to at most ``max_size`` pixels on a side.

    Returns:
        ``(4, H, W)`` float32 reflectance of B04, B03, B02, B08, NaN for nodata, in the scene CRS.

    Raises:
        ImageryError: a band cannot be read.
    """
    arrays = []
    try:
        with rasterio.Env(**HTTP_ENV):
            for band in scene.bands:
                with rasterio.open(band.href) as ds:
                    factor = max(ds.width / max_size, ds.height / max_size, 1.0)
                    shape = (max(1, round(ds.height / factor)), max(1, round(ds.width / factor)))
                    dn = ds.read(
                        band.index, out_shape=shape, masked=True, resampling=Resampling.average
                    )
                    transform = ds.transform @ Affine.scale(
                        ds.width / shape[1], ds.height / shape[0]
                    )
                    crs = ds.crs
                    arrays.append(band.reflectance(dn))
    except RasterioError as err:
        raise ImageryError(f"Cannot read a preview of {scene.id}: {err}") from err
    return Raster(
        np.stack(arrays).astype(np.float32), crs, transform, tuple(b.name for b in scene.bands)
    )
