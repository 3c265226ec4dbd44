"""Scenes: one Sentinel-2 acquisition, wherever its pixels live (a local file or COGs online)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
from shapely.geometry import box, shape

#: An area as ``(west, south, east, north)`` in WGS84 degrees.
BBox = tuple[float, float, float, float]


@dataclass(frozen=True)
class BandSource:
    """Where one band's pixels are: a raster file or URL and the band index in it (1-based).

    Reflectance = digital number * ``scale`` + ``offset``; ``nodata``, when given, marks
    nodata besides the file's own (0 in an 8-bit true-colour file, declared or not).
    """

    name: str
    href: str
    index: int = 1
    scale: float = 1e-4
    offset: float = 0.0
    nodata: int | None = None

    def reflectance(self, dn: np.ma.MaskedArray) -> np.ndarray:
        """Digital numbers read from this band to float32 reflectance, NaN where masked."""
        if self.nodata is not None:
            dn = np.ma.masked_equal(dn, self.nodata)
        refl = dn.astype(np.float32) * np.float32(self.scale) + np.float32(self.offset)
        return np.ma.filled(refl, np.nan).astype(np.float32)


@dataclass(frozen=True)
class Scene:
    """One acquisition that the app can read an area of.

    Attributes:
        id: unique id (file name for local scenes, the STAC item id online).
        source: ``"local"`` or ``"stac"``.
        date: acquisition date, when known.
        tile: Sentinel-2 MGRS tile such as ``"T33UUU"``, when known.
        cloud_cover: scene cloud cover in percent, when known.
        footprint: GeoJSON geometry of the scene in WGS84 longitude/latitude.
        bands: where each of B04, B03, B02, B08 is, in that order (B04, B03, B02 for a
            true-colour image without near infrared).
    """

    id: str
    source: str
    date: dt.date | None
    tile: str | None
    cloud_cover: float | None
    footprint: dict[str, Any]
    bands: tuple[BandSource, ...]

    @property
    def label(self) -> str:
        """A one-line description for lists."""
        parts = [self.id]
        if self.date:
            parts.append(self.date.isoformat())
        if self.tile:
            parts.append(self.tile)
        if self.cloud_cover is not None:
            parts.append(f"{self.cloud_cover:.0f}% cloud")
        return " · ".join(parts)

    def intersects(self, bbox: BBox) -> bool:
        return bool(shape(self.footprint).intersects(box(*bbox)))


def matches(
    scene: Scene,
    bbox: BBox | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
    max_cloud: float | None = None,
) -> bool:
    """Whether a scene passes a catalogue search's filters (unknown values pass)."""
    if bbox is not None and not scene.intersects(bbox):
        return False
    if scene.date is not None:
        if start is not None and scene.date < start:
            return False
        if end is not None and scene.date > end:
            return False
    if max_cloud is not None and scene.cloud_cover is not None and scene.cloud_cover > max_cloud:
        return False
    return True
