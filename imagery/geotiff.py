"""Whole-file GeoTIFF reading and writing for the command line, keeping the value scale.

Integer files hold reflectance x 10000 (Sentinel-2 L2A/L1C digital numbers); float files hold
reflectance. A file is written back in the dtype it was read in, nodata as 0 for integers and
NaN for floats.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import rasterio
from rasterio.errors import RasterioError

from imagery.errors import AreaError, ImageryError
from imagery.raster import BANDS, Raster

SCALE = 10000.0


def read_raster(path: Path, max_size: int) -> tuple[Raster, np.dtype]:
    """All bands of a GeoTIFF as reflectance, and the file's dtype.

    Band names come from the band descriptions; a file of 4 bands without them is read as
    B04, B03, B02, B08 (the app's convention), others as ``band1``, ``band2``...

    Raises:
        ImageryError: unreadable file, no CRS, or a pixel type other than integer or float.
        AreaError: wider or higher than ``max_size`` pixels.
    """
    try:
        with rasterio.open(path) as ds:
            if ds.crs is None:
                raise ImageryError(f"{path.name} has no coordinate reference system")
            if ds.width > max_size or ds.height > max_size:
                raise AreaError(
                    f"{path.name} is {ds.width} x {ds.height} px; the limit is {max_size} px a side"
                )
            dtype = np.dtype(ds.dtypes[0])
            if dtype.kind not in "uif" or dtype.itemsize == 1:
                raise ImageryError(
                    f"{path.name} has {dtype} pixels; expected reflectance x 10000 as 16-bit "
                    "integers (Sentinel-2 L1C/L2A) or reflectance as floats"
                )
            if ds.count < 3:
                raise ImageryError(f"{path.name} has {ds.count} band(s); at least 3 are needed")
            data = np.ma.filled(ds.read(masked=True).astype(np.float32), np.nan)
            if all(ds.descriptions):
                names = tuple(str(d) for d in ds.descriptions)
            elif ds.count == len(BANDS):
                names = BANDS
            else:
                names = tuple(f"band{i + 1}" for i in range(ds.count))
            crs, transform = ds.crs, ds.transform
    except RasterioError as err:
        raise ImageryError(f"cannot read {path}: {err}") from err
    if dtype.kind in "ui":
        data /= SCALE
    elif np.nanmax(data) > 2:
        raise ImageryError(
            f"{path.name} holds floats up to {np.nanmax(data):.0f}: not reflectance (0-1); "
            "convert digital numbers with / 10000 or save them as uint16"
        )
    return Raster(data, crs, transform, names), dtype


def write_raster(raster: Raster, path: Path, dtype: np.dtype) -> None:
    """Write a tiled, deflate-compressed GeoTIFF with band descriptions.

    For integer dtypes reflectance is scaled by 10000 and rounded, clipped to [1, dtype max] so
    that a valid pixel never reads as the nodata value 0.
    """
    data = raster.data
    if dtype.kind in "ui":
        info = np.iinfo(dtype)
        scaled = np.clip(np.round(np.nan_to_num(data, nan=0.0) * SCALE), max(info.min, 1), info.max)
        out = np.where(np.isnan(data), 0, scaled).astype(dtype)
        nodata: float = 0
    else:
        out, nodata = data.astype(dtype), float("nan")
    profile = {
        "driver": "GTiff",
        "width": raster.width,
        "height": raster.height,
        "count": len(raster.bands),
        "dtype": out.dtype.name,
        "crs": raster.crs,
        "transform": raster.transform,
        "nodata": nodata,
        "tiled": True,
        "blockxsize": 256,
        "blockysize": 256,
        "compress": "deflate",
    }
    with rasterio.open(path, "w", **profile) as ds:
        ds.write(out)
        ds.descriptions = raster.bands
