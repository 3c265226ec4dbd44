"""Consistency map: where an enhanced image departs from what the satellite measured.

The enhanced image is degraded back to the original's 10 m grid with the sensor-like Gaussian
kernel (``sr.degrade``) and compared with the original, pixel by pixel: the mean absolute
difference over the bands, in reflectance. Near 0: the enhanced pixels average to the measured
ones; large: the enhancement invented or lost something there.
"""

from __future__ import annotations

import numpy as np

from imagery.raster import Raster
from sr.degrade import degrade_raster


def consistency(original: Raster, enhanced: Raster, scale: int = 4) -> Raster:
    """``(1, H, W)`` mean absolute reflectance difference on the original's grid (NaN: nodata)."""
    back = degrade_raster(enhanced, "gaussian", scale).data
    diff = np.abs(back - original.data).mean(axis=0, keepdims=True).astype(np.float32)
    return Raster(diff, original.crs, original.transform, ("consistency",))
