"""The one GeoTIFF reader and writer: band order, value scale, nodata and atomic writes.

Integer files of 16 bits or more hold reflectance x 10000 (Sentinel-2 L2A/L1C digital numbers);
8-bit files of 3 bands are true-colour images (red, green, blue, like Sentinel-2's TCI) holding
reflectance x :data:`TCI_SCALE`, 0 marking nodata; float files hold reflectance
(:func:`dn_scale`). A file is written back in the dtype it was read in, nodata as 0 for integers
and NaN for floats. Every write goes to a temporary file in the target's folder, then replaces the
target in one step, so a crash or a full disk never leaves a half-written file in its place.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import rasterio
from affine import Affine
from rasterio.crs import CRS
from rasterio.errors import RasterioError
from rasterio.shutil import copy
from rasterio.windows import Window

from imagery.errors import AreaError, ImageryError, unreadable
from imagery.memory import shortfall
from imagery.pixels import (
    band_names,
    check_pixel_type,
    check_reflectance,
    dn_scale,
    file_nodata,
    tci_nodata,
)
from imagery.raster import Raster

#: Why a raster in degrees is refused: its pixels are not square on the ground, and areas and
#: the x4 grid are computed in metres.
GEOGRAPHIC = (
    "is in degrees of longitude and latitude; reproject it to its UTM zone first "
    "(for example gdalwarp -t_srs EPSG:32633 in.tif out.tif)"
)
#: Bytes per pixel a read needs beside the float32 result: one band's value, mask and float
#: copies, and the checks' boolean arrays.
READ_BYTES = 16
#: GDAL's block cache while a COG is written (its default, 5 % of the memory, grows with the
#: raster up to that): the memory of writing a mosaic does not depend on its size.
COG_CACHE_MB = 256


def read_bands(
    path: Path, max_size: int | None = None
) -> tuple[np.ndarray, tuple[str, ...], np.dtype]:
    """All bands of a GeoTIFF as reflectance, their names and the file's dtype; no georeferencing
    needed (training reads files that have none).

    Band names as :func:`band_names` gives them; values scaled as :func:`dn_scale` says, and in
    8-bit files :data:`TCI_NODATA` is nodata besides the file's own.

    Returns:
        ``(C, H, W)`` float32 reflectance with NaN for nodata, band names, the file's dtype.

    Raises:
        ImageryError: unreadable file, or pixels :func:`check_pixel_type` refuses, fewer than
            3 bands, infinite values, no valid pixel, or floats that are not reflectance (above 2
            or below :data:`MIN_REFLECTANCE`).
        AreaError: wider or higher than ``max_size`` pixels, or more than the memory available.
    """
    try:
        with rasterio.open(path) as ds:
            if max_size is not None and (ds.width > max_size or ds.height > max_size):
                raise AreaError(
                    f"{path.name} is {ds.width} x {ds.height} px; the limit is {max_size} px a side"
                )
            dtype = np.dtype(ds.dtypes[0])
            check_pixel_type(path.name, dtype, ds.count)
            if ds.count < 3:
                raise ImageryError(f"{path.name} has {ds.count} band(s); at least 3 are needed")
            short = shortfall(ds.width * ds.height * (4 * ds.count + READ_BYTES))
            if short:
                raise AreaError(f"reading {path.name} ({ds.width} x {ds.height} px) {short}")
            data = np.empty((ds.count, ds.height, ds.width), np.float32)
            nodata = tci_nodata(dtype)
            for i in range(ds.count):  # band by band: one band's temporary copies at a time
                band = ds.read(i + 1, masked=True)
                if nodata is not None:
                    band = np.ma.masked_equal(band, nodata)
                data[i] = np.ma.filled(band.astype(np.float32), np.nan)
            names = band_names(ds.descriptions, ds.count)
    except RasterioError as err:
        raise unreadable(f"cannot read {path}", err) from err
    infinite = int(np.isinf(data).sum())
    if infinite:
        raise ImageryError(
            f"{path.name} holds {infinite} infinite values; mark them as nodata (NaN) and try again"
        )
    if not np.isfinite(data).any():
        raise ImageryError(f"{path.name} has no valid pixel: every value is nodata")
    if dtype.kind in "ui":
        data /= dn_scale(dtype)
    else:
        check_reflectance(path.name, data)
    return data, names, dtype


def check_output(path: Path) -> None:
    """Refuse, before anything is computed, an output path that cannot be written as a file:
    a folder that does not exist or cannot be written, or an existing path that is not a
    regular file (a device such as ``/dev/full``, a FIFO, a socket, a folder), which a rename
    would replace.

    Raises:
        ImageryError: with what to do.
    """
    if path.exists() and not path.is_file():
        raise ImageryError(f"{path} exists and is not a regular file; choose a file path")
    folder = path.parent
    if not folder.is_dir():
        raise ImageryError(f"the folder {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ImageryError(f"the folder {folder} cannot be written")


def read_raster(path: Path, max_size: int) -> tuple[Raster, np.dtype]:
    """All bands of a georeferenced GeoTIFF as a reflectance raster, and the file's dtype.

    Raises:
        ImageryError: no CRS, a CRS in degrees, or anything :func:`read_bands` refuses.
        AreaError: wider or higher than ``max_size`` pixels.
    """
    try:
        with rasterio.open(path) as ds:
            crs, transform = ds.crs, ds.transform
    except RasterioError as err:
        raise unreadable(f"cannot read {path}", err) from err
    if crs is None:
        raise ImageryError(f"{path.name} has no coordinate reference system")
    if crs.is_geographic:
        raise ImageryError(f"{path.name} {GEOGRAPHIC}")
    data, names, dtype = read_bands(path, max_size)
    return Raster(data, crs, transform, names), dtype


def write_raster(
    raster: Raster, path: Path, dtype: np.dtype, tags: Mapping[str, str] | None = None
) -> None:
    """Write reflectance as a GeoTIFF of ``dtype`` with band descriptions (atomically).

    For integer dtypes reflectance is scaled by :func:`dn_scale` (10000, or :data:`TCI_SCALE` for
    8 bits) and rounded, clipped to [1, dtype max] so that a valid pixel never reads as the nodata
    value 0.
    """
    out, nodata = to_dtype(raster.data, dtype)
    write_geotiff(path, out, raster.crs, raster.transform, nodata, raster.bands, tags)


def to_dtype(data: np.ndarray, dtype: np.dtype) -> tuple[np.ndarray, float]:
    """Reflectance as a file of ``dtype`` stores it (see :func:`write_raster`), and its nodata."""
    if dtype.kind in "ui":
        info = np.iinfo(dtype)
        scaled = np.nan_to_num(data, nan=0.0) * dn_scale(dtype)
        scaled = np.clip(np.round(scaled), max(info.min, 1), info.max)
        return np.where(np.isnan(data), 0, scaled).astype(dtype), file_nodata(dtype)
    return data.astype(dtype), file_nodata(dtype)


def write_geotiff(
    path: Path,
    data: np.ndarray,
    crs: CRS | str | None,
    transform: Affine,
    nodata: float | None = None,
    descriptions: Sequence[str] | None = None,
    tags: Mapping[str, str] | None = None,
    colormap: Mapping[int, tuple[int, int, int, int]] | None = None,
) -> None:
    """Write a ``(C, H, W)`` array as a tiled, deflate-compressed GeoTIFF, atomically: into a
    temporary file beside ``path``, then renamed over it (a crash leaves the old file or none).
    A ``colormap`` (value -> RGBA) is given to the first band of a uint8 raster."""
    profile: dict[str, Any] = {
        "driver": "GTiff",
        "width": data.shape[2],
        "height": data.shape[1],
        "count": data.shape[0],
        "dtype": data.dtype.name,
        "crs": crs,
        "transform": transform,
        "nodata": nodata,
        "compress": "deflate",
        "tiled": True,
        "blockxsize": 256,
        "blockysize": 256,
    }
    if data.dtype.kind in "ui":
        profile["predictor"] = 2
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        with rasterio.open(tmp, "w", **profile) as ds:
            ds.write(data)
            if descriptions:
                ds.descriptions = tuple(descriptions)
            if tags:
                ds.update_tags(**tags)
            if colormap:
                ds.write_colormap(1, colormap)
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; a GeoTIFF is for others to read too
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_cog(
    path: Path,
    shape: tuple[int, int, int],
    dtype: np.dtype,
    crs: CRS,
    transform: Affine,
    blocks: Iterable[tuple[Window, np.ndarray]],
    descriptions: Sequence[str] | None = None,
    tags: Mapping[str, str] | None = None,
) -> None:
    """Write a Cloud-Optimised GeoTIFF (512 px tiles, deflate, averaged overviews) of
    ``shape`` ``(C, H, W)`` from ``blocks`` (a window and its ``(C, h, w)`` values, already of
    ``dtype``), never holding more than one block: they go into a tiled staging file, which
    GDAL's COG driver copies with overviews (with a block cache of :data:`COG_CACHE_MB`); the
    result replaces ``path`` in one step.
    Nodata as :func:`file_nodata` says; BigTIFF when the size needs it."""
    nodata = file_nodata(dtype)
    options: dict[str, Any] = {"compress": "deflate", "BIGTIFF": "IF_SAFER"}
    if dtype.kind in "ui":
        options["predictor"] = 2
    path.parent.mkdir(parents=True, exist_ok=True)
    with (
        tempfile.TemporaryDirectory(prefix=f".{path.name}.", dir=path.parent) as tmp,
        rasterio.Env(GDAL_CACHEMAX=COG_CACHE_MB),
    ):
        staging, part = Path(tmp) / "staging.tif", Path(tmp) / "cog.tif"
        with rasterio.open(
            staging,
            "w",
            driver="GTiff",
            count=shape[0],
            height=shape[1],
            width=shape[2],
            dtype=dtype.name,
            crs=crs,
            transform=transform,
            nodata=nodata,
            tiled=True,
            blockxsize=512,
            blockysize=512,
            **options,
        ) as ds:
            for window, data in blocks:
                ds.write(data, window=window)
            if descriptions:
                ds.descriptions = tuple(descriptions)
            if tags:
                ds.update_tags(**tags)
        copy(staging, part, driver="COG", blocksize=512, overview_resampling="average", **options)
        with open(part, "rb+") as f:
            os.fsync(f.fileno())
        os.chmod(part, 0o644)
        os.replace(part, path)
