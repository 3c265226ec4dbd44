"""Rendering rasters for the web map: colour composites reprojected to Web Mercator.

Leaflet places an image overlay by stretching it linearly between its corners in Web Mercator
(EPSG:3857), so the image is resampled onto a Web Mercator grid first; its corners, given in
latitude/longitude, then put every pixel where the map draws the same ground point.
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass

import numpy as np
from PIL import Image
from rasterio.enums import Resampling
from rasterio.transform import from_bounds
from rasterio.warp import calculate_default_transform, reproject, transform_bounds

from imagery.raster import Raster

#: Bands shown as red, green, blue for each composite.
COMPOSITES: dict[str, tuple[str, str, str]] = {
    "true": ("B04", "B03", "B02"),
    "false": ("B08", "B04", "B03"),  # near infrared as red: vegetation shows red
}

WEB_MERCATOR = "EPSG:3857"

#: Lower and upper reflectance of the stretch, one pair per displayed channel.
Limits = tuple[tuple[float, float], ...]


@dataclass(frozen=True)
class Overlay:
    """An RGBA picture for ``folium.raster_layers.ImageOverlay``.

    Attributes:
        png: the PNG file; transparent where the raster has no data.
        bounds: ``[[south, west], [north, east]]`` in degrees, as Leaflet expects.
    """

    png: bytes
    bounds: list[list[float]]

    @property
    def data_url(self) -> str:
        return "data:image/png;base64," + base64.b64encode(self.png).decode("ascii")


def composites(bands: tuple[str, ...]) -> list[str]:
    """The composites an image of ``bands`` can show: false colour needs near infrared (B08),
    which a true-colour image (B04, B03, B02) lacks."""
    return [name for name, shown in COMPOSITES.items() if all(b in bands for b in shown)]


def stretch_limits(raster: Raster, composite: str = "true", percent: float = 2.0) -> Limits:
    """Per-channel reflectance limits at the ``percent`` and ``100 - percent`` percentiles."""
    limits = []
    for name in COMPOSITES[composite]:
        values = raster.band(name)
        values = values[np.isfinite(values)]
        if values.size == 0:
            limits.append((0.0, 1.0))
            continue
        lo, hi = np.percentile(values, [percent, 100 - percent])
        limits.append((float(lo), float(hi) if hi > lo else float(lo) + 1e-6))
    return tuple(limits)


def to_rgba(raster: Raster, composite: str = "true", limits: Limits | None = None) -> np.ndarray:
    """``(H, W, 4)`` uint8 picture of a composite, stretched linearly between ``limits``
    (default: 2-98 % percentiles of this raster); alpha 0 where any shown band is nodata."""
    limits = limits or stretch_limits(raster, composite)
    channels = []
    for name, (lo, hi) in zip(COMPOSITES[composite], limits, strict=True):
        scaled = (raster.band(name) - lo) / (hi - lo)
        channels.append(np.clip(np.nan_to_num(scaled, nan=0.0), 0, 1) * 255)
    valid = np.all([np.isfinite(raster.band(n)) for n in COMPOSITES[composite]], axis=0)
    channels.append(valid * 255.0)
    return np.round(np.stack(channels, axis=-1)).astype(np.uint8)


def heat_rgba(raster: Raster, vmax: float) -> np.ndarray:
    """``(H, W, 4)`` uint8 picture of a one-band raster: transparent at 0, opaque red at
    ``vmax`` and above, through yellow; nodata transparent."""
    v = np.clip(np.nan_to_num(raster.data[0] / vmax, nan=0.0), 0, 1)
    rgba = np.stack([np.full_like(v, 255), 255 * (1 - v), np.zeros_like(v), 230 * np.sqrt(v)], -1)
    return np.round(rgba).astype(np.uint8)


def overlay(
    raster: Raster,
    composite: str = "true",
    limits: Limits | None = None,
    max_size: int = 2048,
    rgba: np.ndarray | None = None,
) -> Overlay:
    """The raster as a map overlay, resampled (bilinear) onto a Web Mercator grid of about the
    same ground resolution, at most ``max_size`` pixels on a side. ``rgba`` (``(H, W, 4)``
    uint8) replaces the colour composite, for pictures made otherwise (:func:`heat_rgba`)."""
    if rgba is None:
        rgba = to_rgba(raster, composite, limits)
    src = np.moveaxis(rgba, -1, 0)
    _, width, height = calculate_default_transform(
        raster.crs, WEB_MERCATOR, raster.width, raster.height, *raster.bounds
    )
    shrink = max(width / max_size, height / max_size, 1.0)
    width, height = max(1, round(width / shrink)), max(1, round(height / shrink))
    left, bottom, right, top = transform_bounds(raster.crs, WEB_MERCATOR, *raster.bounds)
    dst_transform = from_bounds(left, bottom, right, top, width, height)
    dst = np.zeros((4, height, width), dtype=np.uint8)
    reproject(
        src,
        dst,
        src_transform=raster.transform,
        src_crs=raster.crs,
        dst_transform=dst_transform,
        dst_crs=WEB_MERCATOR,
        resampling=Resampling.bilinear,
    )
    west, south, east, north = transform_bounds(WEB_MERCATOR, "EPSG:4326", left, bottom, right, top)
    buf = io.BytesIO()
    Image.fromarray(np.moveaxis(dst, 0, -1), mode="RGBA").save(buf, format="PNG", optimize=False)
    return Overlay(buf.getvalue(), [[south, west], [north, east]])
