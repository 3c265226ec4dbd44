"""Consistency with the measurement: where an enhanced image departs from what the satellite
measured (a map for the app), and the data-consistency step that removes the departure.

The enhanced image is degraded back to the original's 10 m grid with the sensor-like Gaussian
kernel (``sr.degrade``) and compared with the original, pixel by pixel: the mean absolute
difference over the bands, in reflectance. Near 0: the enhanced pixels average to the measured
ones; large: the enhancement invented or lost something there.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from imagery.raster import Raster
from sr.degrade import degrade_raster, downsample, gaussian_kernel

#: Back-projection steps of the data-consistency step: the mean departure falls below 1e-4
#: reflectance on real scenes (``python -m sr.training evaluate`` reports it).
DC_ITERATIONS = 10


def consistency(original: Raster, enhanced: Raster, scale: int = 4) -> Raster:
    """``(1, H, W)`` mean absolute reflectance difference on the original's grid (NaN: nodata)."""
    back = degrade_raster(enhanced, "gaussian", scale).data
    diff = np.abs(back - original.data).mean(axis=0, keepdims=True).astype(np.float32)
    return Raster(diff, original.crs, original.transform, ("consistency",))


def make_consistent(
    sr: torch.Tensor, lr: torch.Tensor, scale: int, iterations: int = DC_ITERATIONS
) -> torch.Tensor:
    """Data consistency: correct ``sr`` so that, degraded by the sensor model, it reproduces
    the measured ``lr`` (iterative back-projection, Irani and Peleg 1991).

    ``x <- x + bicubic_up(lr - degrade(x))``, ``iterations`` times, where ``degrade`` is the
    sensor-like Gaussian blur (sigma 2 high-resolution pixels) and x ``scale`` decimation of
    :mod:`sr.degrade`. It changes the low frequencies the satellite measured and leaves the
    details the model added; the low-frequency hard constraint of ESA's SEN2SR serves the same end.

    Args:
        sr: ``(N, C, scale*H, scale*W)`` enhanced reflectance.
        lr: ``(N, C, H, W)`` measured reflectance (no NaN).
    """
    kernel = gaussian_kernel(scale)
    x = sr
    for _ in range(iterations):
        residual = lr - downsample(x, kernel, scale)
        x = x + F.interpolate(residual, scale_factor=scale, mode="bicubic", align_corners=False)
    return x


def departure(sr: torch.Tensor, lr: torch.Tensor, scale: int) -> float:
    """Mean absolute reflectance difference between ``sr`` degraded by the sensor model and
    ``lr``: what :func:`make_consistent` drives towards 0."""
    return float((downsample(sr, gaussian_kernel(scale), scale) - lr).abs().mean())
