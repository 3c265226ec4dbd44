"""Other dates of the same ground: the acquisitions a catalogue holds of the ground an area was
read from, and their pixels on that area's grid (crops are told apart by how they change)."""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
from rasterio.enums import Resampling
from rasterio.warp import transform_bounds
from shapely.geometry import shape

from imagery.raster import Raster, on_grid_of
from imagery.read import read_area
from imagery.scene import BBox, Scene

#: Two footprints closer than this (degrees, about 1 cm) are the same.
SAME_FOOTPRINT = 1e-7


def same_ground(a: Scene, b: Scene) -> bool:
    """Whether two acquisitions show the same ground on the same pixel grid, as far as their
    descriptions say: bands in one file (a multi-date GeoTIFF), the same Sentinel-2 tile, or
    the same footprint."""
    same_file = a.bands[0].href == b.bands[0].href
    same_tile = a.tile is not None and a.tile == b.tile
    footprint = shape(a.footprint).equals_exact(shape(b.footprint), SAME_FOOTPRINT)
    return same_file or same_tile or footprint


def other_dates(scene: Scene, scenes: Iterable[Scene], bbox: BBox) -> list[Scene]:
    """The acquisitions among ``scenes`` other than ``scene`` that show its ground
    (:func:`same_ground`) and cover some of ``bbox`` (west, south, east, north in degrees),
    each once, by date (unknown dates last), then id."""
    found = {
        s.id: s for s in scenes if s.id != scene.id and same_ground(scene, s) and s.intersects(bbox)
    }
    return sorted(found.values(), key=lambda s: (s.date is None, s.date or 0, s.id))


def read_on_grid(scene: Scene, like: Raster) -> Raster:
    """The area of ``like`` read from another acquisition, on ``like``'s pixel grid.

    The area is read with :func:`imagery.read.read_area` (the same checks and limits as any
    area, with a margin for the round trip through degrees). On the same grid (same CRS and
    pixel size, whole-pixel offset: two dates in one file, or of one tile) the pixels are taken
    as read; otherwise they are resampled bilinearly onto ``like``'s grid.

    Returns:
        ``(C, like.height, like.width)`` float32 reflectance of ``scene``'s bands, NaN where it
        has no data, in ``like``'s CRS and transform.

    Raises:
        AreaError: ``scene`` has no data under the area.
        ImageryError: a band cannot be read.
    """
    bbox = transform_bounds(like.crs, "EPSG:4326", *like.bounds, densify_pts=21)
    limit = math.ceil(1.1 * max(like.width, like.height)) + 4
    read = read_area(scene, bbox, limit)
    resampling = Resampling.nearest if aligned(read, like) else Resampling.bilinear
    return on_grid_of(read, like, resampling)


def aligned(a: Raster, b: Raster) -> bool:
    """Whether two rasters lie on one pixel grid: same CRS, same pixel size, and corners a
    whole number of pixels apart (nearest-neighbour resampling then copies pixels exactly)."""
    scales = [(t.a, t.b, t.d, t.e) for t in (a.transform, b.transform)]
    if a.crs != b.crs or not np.allclose(scales[0], scales[1]):
        return False
    col, row = ~a.transform @ (b.transform.c, b.transform.f)
    return bool(abs(col - round(col)) < 1e-6 and abs(row - round(row)) < 1e-6)
