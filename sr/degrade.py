"""Degradations from a high- to a low-resolution image, x ``factor``.

Both kernels are even-sized (``4 * factor`` taps) and centred between pixels, so that each
low-resolution pixel covers exactly the ``factor x factor`` block of high-resolution pixels it
comes from (the grids stay aligned: transform scaled by ``factor``):

- ``lanczos``: the Lanczos-2 kernel of Deep Image Prior (Ulyanov et al., CVPR 2018), used as
  DIP's degradation model in its loss;
- ``gaussian``: a sensor-like Gaussian blur, sigma 2.0 high-resolution pixels by default. Its
  modulation transfer at the low-resolution Nyquist frequency is exp(-2 pi^2 sigma^2 / (2f)^2),
  0.29 for sigma 2 and f = 4, close to Sentinel-2's own 0.2-0.3.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from affine import Affine

from imagery.raster import Raster


def lanczos2_kernel(factor: int) -> torch.Tensor:
    """``(4f, 4f)`` Lanczos-2 kernel with phase 0.5, summing to 1 (as DIP's ``get_kernel``)."""
    size, support = 4 * factor, 2
    centre = (size + 2) / 2  # DIP: (kernel_width + 1) / 2 with kernel_width = 4f + 1

    def lanczos(d: float) -> float:
        if d == 0:
            return 1.0
        return (
            support * math.sin(math.pi * d) * math.sin(math.pi * d / support) / (math.pi**2 * d**2)
        )

    taps = torch.tensor(
        [lanczos(abs(i + 0.5 - centre) / factor) for i in range(1, size + 1)],
        dtype=torch.float64,
    )
    kernel = torch.outer(taps, taps)
    return (kernel / kernel.sum()).float()


def gaussian_kernel(factor: int, sigma: float = 2.0) -> torch.Tensor:
    """``(4f, 4f)`` Gaussian of ``sigma`` high-resolution pixels, centred between pixels."""
    size = 4 * factor
    x = torch.arange(size, dtype=torch.float64) - (size - 1) / 2
    taps = torch.exp(-(x**2) / (2 * sigma**2))
    kernel = torch.outer(taps, taps)
    return (kernel / kernel.sum()).float()


def kernel_for(kind: str, factor: int, sigma: float = 2.0) -> torch.Tensor:
    """The kernel named ``"lanczos"`` or ``"gaussian"``."""
    if kind == "lanczos":
        return lanczos2_kernel(factor)
    if kind == "gaussian":
        return gaussian_kernel(factor, sigma)
    raise ValueError(f"unknown degradation {kind!r}; use 'lanczos' or 'gaussian'")


def downsample(x: torch.Tensor, kernel: torch.Tensor, factor: int) -> torch.Tensor:
    """Blur with ``kernel`` and keep every ``factor``-th pixel: ``(N, C, H, W)`` ->
    ``(N, C, H / factor, W / factor)``; borders are replicated. H and W must be multiples of
    ``factor``."""
    n, c, h, w = x.shape
    if h % factor or w % factor:
        raise ValueError(f"size {h} x {w} is not a multiple of {factor}")
    pad = (kernel.shape[-1] - factor) // 2
    weight = kernel.to(x)[None, None].expand(c, 1, *kernel.shape)
    padded = F.pad(x, (pad, pad, pad, pad), mode="replicate")
    return F.conv2d(padded, weight, stride=factor, groups=c)


def degrade_raster(hr: Raster, kind: str, scale: int) -> Raster:
    """The low-resolution version of ``hr`` (cropped to a multiple of ``scale``)."""
    h, w = hr.height // scale * scale, hr.width // scale * scale
    data = np.nan_to_num(hr.data[:, :h, :w], nan=0.0)
    with torch.no_grad():
        lr = downsample(torch.from_numpy(data)[None], kernel_for(kind, scale), scale)[0].numpy()
    return Raster(lr, hr.crs, hr.transform @ Affine.scale(scale), hr.bands)
