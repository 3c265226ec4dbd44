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
import re
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
from imagery.raster import BANDS, RGB, Raster

#: Stored values per unit of reflectance in integer files of 16 bits or more.
SCALE = 10000.0
#: Stored values per unit of reflectance in 8-bit true-colour files: 255 is reflectance 0.3 and
#: brighter pixels are clipped to it. ESA defines the TCI as reflectance coded from 1 to 255, 0
#: being reserved for no data, 255 at 0.3558 for L1C products and at 0.2 for L2A products
#: (https://sentinel.esa.int/web/sentinel/user-guides/sentinel-2-msi/definitions). A file does
#: not say its level, so one constant serves both: 0.3, the value ../shared/data/README.md gives
#: for the shared TCI chips and bench/real_use.py scored them with, between the two (16 % below
#: L1C's, 50 % above L2A's). Only absolute thresholds feel the difference (the cloud warning's
#: 0.2, Decrappify's input range); Deep Image Prior, the data-consistency step and the map's
#: percentile stretch do not depend on the scale.
TCI_SCALE = 255 / 0.3
#: The value that marks nodata in an 8-bit true-colour file, declared or not (ESA's TCI rule).
TCI_NODATA = 0
#: ESA's names of Sentinel-2 bands: B01 to B12 and B8A.
ESA_NAME = re.compile(r"B(0[1-9]|1[0-2]|8A)")
#: Why a raster in degrees is refused: its pixels are not square on the ground, and areas and
#: the x4 grid are computed in metres.
GEOGRAPHIC = (
    "is in degrees of longitude and latitude; reproject it to its UTM zone first "
    "(for example gdalwarp -t_srs EPSG:32633 in.tif out.tif)"
)
#: The lowest float reflectance taken as real: atmospheric correction (L2A offsets) can leave
#: dark pixels slightly negative; far below that the file holds something else.
MIN_REFLECTANCE = -0.1
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


def band_names(descriptions: Sequence[str | None], count: int) -> tuple[str, ...]:
    """The ESA names of a file's bands, from its band descriptions and band count: the
    descriptions when every band has one; but a file of 3 bands is red, green, blue (B04, B03,
    B02) unless its descriptions are all ESA names (so ``R, G, B`` or none read as B04, B03, B02);
    a file of 4 bands without descriptions is B04, B03, B02, B08 (the app's convention); others
    ``band1``, ``band2``..."""
    named = all(descriptions)
    if named and (count != len(RGB) or all(ESA_NAME.fullmatch(str(d)) for d in descriptions)):
        return tuple(str(d) for d in descriptions)
    if count == len(RGB):
        return RGB
    if count == len(BANDS):
        return BANDS
    return tuple(f"band{i + 1}" for i in range(count))


def check_pixel_type(name: str, dtype: np.dtype, count: int) -> None:
    """The one rule on what a raster's pixels may be, for every reader (``sr enhance``,
    ``enhance-region``, the app's scene list): reflectance x 10000 as 16-bit or wider integers,
    reflectance as floats, or a true-colour image of 3 bands of 8 bits (:data:`TCI_SCALE`).

    Raises:
        ImageryError: another type, or 8-bit pixels in other than 3 bands (a picture of another
            kind, a mask, or RGB with an alpha band).
    """
    tci = dtype == np.uint8 and count == len(RGB)
    if dtype.kind not in "uif" or (dtype.itemsize == 1 and not tci):
        raise ImageryError(
            f"{name} has {dtype} pixels in {count} band(s); accepted are reflectance x 10000 as "
            "16-bit integers (Sentinel-2 L1C/L2A), reflectance as floats, or a true-colour "
            "image of 3 bands of 8 bits (red, green, blue, like Sentinel-2's TCI)"
        )


def dn_scale(dtype: np.dtype) -> float:
    """Stored values per unit of reflectance in a file of ``dtype`` (one that
    :func:`check_pixel_type` accepts): :data:`TCI_SCALE` for 8 bits, :data:`SCALE` for wider
    integers, 1 for floats."""
    if dtype.kind == "f":
        return 1.0
    return TCI_SCALE if dtype.itemsize == 1 else SCALE


def tci_nodata(dtype: np.dtype) -> int | None:
    """The value that marks nodata in every file of ``dtype``, whatever the file declares:
    :data:`TCI_NODATA` for 8 bits, None for others (only the file's own nodata)."""
    return TCI_NODATA if dtype.itemsize == 1 else None


def check_reflectance(name: str, data: np.ndarray) -> None:
    """Float pixels must be reflectance (0-1, with L2A's slightly negative dark pixels).

    Raises:
        ImageryError: values above 2 (digital numbers stored as floats) or below
            :data:`MIN_REFLECTANCE`.
    """
    if not np.isfinite(data).any():
        return
    if np.nanmax(data) > 2:
        raise ImageryError(
            f"{name} holds floats up to {np.nanmax(data):.0f}: not reflectance (0-1); "
            "convert digital numbers with / 10000 or save them as uint16"
        )
    if np.nanmin(data) < MIN_REFLECTANCE:
        raise ImageryError(
            f"{name} holds floats down to {np.nanmin(data):.2f}: not reflectance (0-1)"
        )


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


def file_nodata(dtype: np.dtype) -> float:
    """The nodata value of every file written here: 0 for integer dtypes (a valid pixel is
    stored as 1 or more), NaN for floats."""
    return 0 if dtype.kind in "ui" else float("nan")


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
