"""Reading a scene: an area of its bands (B04, B03, B02, B08, or B04, B03, B02 of a true-colour
image) as reflectance in the scene's own grid, or the whole scene at reduced resolution for
previews."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import rasterio
from affine import Affine
from rasterio.crs import CRS
from rasterio.enums import Resampling
from rasterio.errors import RasterioError, WindowError
from rasterio.warp import transform_bounds
from rasterio.windows import Window, from_bounds

from imagery.errors import AreaError, ImageryError, unreadable
from imagery.pixels import check_reflectance
from imagery.raster import Raster
from imagery.scene import BBox, Scene

#: Largest area read, in pixels on a side (10 m pixels: 10.24 km).
MAX_SIZE = 1024

#: GDAL settings for COGs over HTTP: no directory listing, ask only for what is needed.
HTTP_ENV = {
    "GDAL_DISABLE_READDIR_ON_OPEN": "EMPTY_DIR",
    "CPL_VSIL_CURL_ALLOWED_EXTENSIONS": ".tif,.tiff,.TIF",
    "GDAL_HTTP_MAX_RETRY": "2",
}


def read_area(scene: Scene, bbox: BBox, max_size: int = MAX_SIZE) -> Raster:
    """Read the pixels of ``scene`` under a WGS84 box.

    Args:
        scene: the acquisition to read.
        bbox: ``(west, south, east, north)`` in degrees.
        max_size: the largest width or height allowed, in pixels.

    Returns:
        A raster of the scene's bands (B04, B03, B02, B08, or B04, B03, B02): ``(C, H, W)``
        float32 reflectance in the scene's CRS and pixel grid, NaN where the scene has no data.

    Raises:
        AreaError: the box is empty, does not overlap the scene, or exceeds ``max_size``.
        ImageryError: a band cannot be read.
    """
    west, south, east, north = bbox
    if not (west < east and south < north):
        raise AreaError("The area is empty: draw a rectangle with some width and height.")
    data, crs, transform = _read(scene, lambda ds: _window(ds, bbox, scene.id, max_size))
    if np.isnan(data).all():
        raise AreaError(f"Scene {scene.id} has no data in this area.")
    return Raster(data, crs, transform, tuple(b.name for b in scene.bands))


def read_window(scene: Scene, window: Window) -> Raster:
    """Read a pixel window of ``scene`` (rows and columns of its first band's grid), clipped
    to the scene; no size limit (the caller reads tiles). All-nodata windows are returned as
    such (NaN).

    Raises:
        AreaError: the window lies outside the scene.
        ImageryError: a band cannot be read.
    """

    def clipped(ds: rasterio.io.DatasetReader) -> tuple[Window, CRS, Affine]:
        win = window.intersection(Window(0, 0, ds.width, ds.height))
        return win, ds.crs, ds.window_transform(win)

    try:
        data, crs, transform = _read(scene, clipped)
    except WindowError as err:
        raise AreaError(f"The window {window} lies outside scene {scene.id}.") from err
    return Raster(data, crs, transform, tuple(b.name for b in scene.bands))


def scene_grid(scene: Scene) -> tuple[int, int, CRS, Affine, np.dtype]:
    """The width, height, CRS, transform and pixel dtype of a scene's first band.

    Raises:
        ImageryError: it cannot be opened.
    """
    try:
        with rasterio.Env(**HTTP_ENV), rasterio.open(scene.bands[0].href) as ds:
            return ds.width, ds.height, ds.crs, ds.transform, np.dtype(ds.dtypes[0])
    except RasterioError as err:
        raise unreadable(f"Cannot read scene {scene.id}", err) from err


def _read(
    scene: Scene, window_of: Callable[[rasterio.io.DatasetReader], tuple[Window, CRS, Affine]]
) -> tuple[np.ndarray, CRS, Affine]:
    """Every band of ``scene`` in the window ``window_of`` finds on the first band, as
    ``(C, H, W)`` reflectance with NaN for nodata, with its CRS and transform."""
    arrays = []
    window = None
    try:
        with rasterio.Env(**HTTP_ENV):
            for band in scene.bands:
                with rasterio.open(band.href) as ds:
                    if window is None:
                        window, crs, transform = window_of(ds)
                    elif ds.crs != crs:
                        raise ImageryError(f"band {band.name} of {scene.id} has another CRS")
                    values = band.reflectance(ds.read(band.index, window=window, masked=True))
                    if ds.dtypes[band.index - 1].startswith("float"):
                        check_reflectance(f"{scene.id} ({band.name})", values)
                    arrays.append(values)
    except RasterioError as err:
        raise unreadable(f"Cannot read scene {scene.id}", err) from err
    return np.stack(arrays), crs, transform


def _window(
    ds: rasterio.io.DatasetReader, bbox: BBox, scene_id: str, max_size: int
) -> tuple[Window, CRS, Affine]:
    """The pixel window of ``ds`` covering the box, snapped outward to whole pixels."""
    left, bottom, right, top = transform_bounds("EPSG:4326", ds.crs, *bbox, densify_pts=21)
    win = from_bounds(left, bottom, right, top, ds.transform)
    col0, row0 = math.floor(win.col_off), math.floor(win.row_off)
    col1, row1 = math.ceil(win.col_off + win.width), math.ceil(win.row_off + win.height)
    col0, row0 = max(col0, 0), max(row0, 0)
    col1, row1 = min(col1, ds.width), min(row1, ds.height)
    if col1 <= col0 or row1 <= row0:
        raise AreaError(f"The area lies outside scene {scene_id}.")
    width, height = col1 - col0, row1 - row0
    if width > max_size or height > max_size:
        raise AreaError(
            f"The area is {width} x {height} px ({width * ds.res[0] / 1000:.1f} x "
            f"{height * ds.res[1] / 1000:.1f} km); the limit is {max_size} x {max_size} px. "
            "Draw a smaller rectangle."
        )
    window = Window(col0, row0, width, height)
    return window, ds.crs, ds.window_transform(window)


def read_preview(scene: Scene, max_size: int = 768) -> Raster:
    """The whole scene, averaged down to at most ``max_size`` pixels on a side.

    Returns:
        ``(C, H, W)`` float32 reflectance of the scene's bands, NaN for nodata, in the scene CRS.

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
        raise unreadable(f"Cannot read a preview of {scene.id}", err) from err
    return Raster(
        np.stack(arrays).astype(np.float32), crs, transform, tuple(b.name for b in scene.bands)
    )
