"""A georeferenced raster: the one shape imagery takes when it crosses a function boundary."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from affine import Affine
from rasterio.crs import CRS
from rasterio.enums import Resampling
from rasterio.warp import reproject

#: Band order of every array read for the app: red, green, blue, near infrared (ESA names).
BANDS: tuple[str, ...] = ("B04", "B03", "B02", "B08")
#: Band order of a true-colour image (no near infrared): red, green, blue.
RGB: tuple[str, ...] = BANDS[:3]


@dataclass(frozen=True, eq=False)
class Raster:
    """Bands of one area with their georeferencing.

    Attributes:
        data: ``(C, H, W)`` float32 surface reflectance (digital number / 10000); NaN marks nodata.
        crs: coordinate reference system of ``transform`` (the scene's own UTM zone for Sentinel-2).
        transform: affine map from pixel (col, row) to ``crs`` coordinates of the pixel's corner.
        bands: ESA band name of each channel of ``data``, in order.
    """

    data: np.ndarray
    crs: CRS
    transform: Affine
    bands: tuple[str, ...] = BANDS

    def __post_init__(self) -> None:
        if self.data.ndim != 3 or self.data.shape[0] != len(self.bands):
            raise ValueError(
                f"data of shape {self.data.shape} does not match {len(self.bands)} bands "
                f"{self.bands}; expected (C, H, W)"
            )

    @property
    def height(self) -> int:
        return int(self.data.shape[1])

    @property
    def width(self) -> int:
        return int(self.data.shape[2])

    @property
    def resolution(self) -> float:
        """Pixel size in CRS units (metres for UTM)."""
        return float(abs(self.transform.a))

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """``(left, bottom, right, top)`` in ``crs`` units."""
        left, top = self.transform @ (0, 0)
        right, bottom = self.transform @ (self.width, self.height)
        return (min(left, right), min(bottom, top), max(left, right), max(bottom, top))

    @property
    def grid(self) -> dict[str, Any]:
        """The pixel grid as plain JSON: ``crs`` (string), ``transform`` (6 numbers), size."""
        return {
            "crs": self.crs.to_string(),
            "transform": list(self.transform)[:6],
            "width": self.width,
            "height": self.height,
        }

    def band(self, name: str) -> np.ndarray:
        """The ``(H, W)`` array of one band, by ESA name."""
        band: np.ndarray = self.data[self.bands.index(name)]
        return band


def on_grid_of(raster: Raster, like: Raster, resampling: Resampling) -> Raster:
    """``raster``'s bands resampled onto ``like``'s grid (its CRS, transform and size), NaN
    where ``raster`` has no data or does not reach."""
    out = np.full((raster.data.shape[0], like.height, like.width), np.nan, np.float32)
    reproject(
        raster.data,
        out,
        src_transform=raster.transform,
        src_crs=raster.crs,
        src_nodata=np.nan,
        dst_transform=like.transform,
        dst_crs=like.crs,
        dst_nodata=np.nan,
        resampling=resampling,
    )
    return Raster(out, like.crs, like.transform, raster.bands)
