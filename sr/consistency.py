"""Consistency with the measurement: where an enhanced image departs from what the satellite
measured (a map for the app), and the data-consistency step that removes the departure.

The enhanced image is degraded back to the original's 10 m grid with the sensor-like Gaussian
kernel (``sr.degrade``) and compared with the original: the mean absolute difference over the
bands, in reflectance, low-passed (:data:`LOW_PASS`) so that the measurement's own noise at the
scale of single pixels does not count. Near 0: the enhanced pixels average to the measured ones;
large: the enhancement invented or lost something there.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from imagery.raster import Raster
from sr.degrade import degrade_raster, downsample, gaussian_kernel

#: Back-projection steps of the data-consistency step: the low-passed departure of bicubic falls
#: to about a sixth on a real scene (the largest scales first; ``tests/sr/test_consistency.py``).
DC_ITERATIONS = 10
#: Sigma, in 10 m pixels, of the Gaussian low-pass the departure goes through before it is
#: projected back. A real 10 m image carries noise and aliasing at the scale of its pixels, which
#: the sensor model cannot tell from detail: projecting that back (sigma 0, the textbook step)
#: stamps it on the result as dots of colour about one per 10 m pixel (3x bicubic's colour
#: speckle on real scenes). Chosen on the training scenes (docs/decisions.md, "The consistency
#: step").
LOW_PASS = 0.7
#: How strongly the step quiets the added detail where it is no larger than the measurement's
#: noise (:func:`quiet_detail`): the detail is kept in full where its local RMS is well above
#: ``QUIET`` x the noise of the 10 m input, and fades out below. 0: no quieting. Chosen on the
#: training scenes (docs/decisions.md, "Quieting the grain").
QUIET = 1.0
#: Sigma, in output pixels, of the window over which the detail's local RMS is measured.
QUIET_WINDOW = 2.0
#: What identifies this step in a result's name (a change of the step changes it).
STEP = f"lowpass={LOW_PASS},colour=bicubic,quiet={QUIET}"
#: The bands whose colour comes from the measurement: red, green, blue.
RGB = ("B04", "B03", "B02")


def consistency(original: Raster, enhanced: Raster, scale: int = 4) -> Raster:
    """``(1, H, W)`` mean absolute reflectance difference on the original's grid, low-passed as
    the data-consistency step sees it (NaN: nodata)."""
    back = degrade_raster(enhanced, "gaussian", scale).data
    delta = torch.from_numpy(np.nan_to_num(back - original.data))[None]
    diff = low_pass(delta, LOW_PASS)[0].abs().mean(0, keepdim=True).numpy().astype(np.float32)
    diff[:, ~np.isfinite(original.data).all(axis=0)] = np.nan
    return Raster(diff, original.crs, original.transform, ("consistency",))


def low_pass(x: torch.Tensor, sigma: float) -> torch.Tensor:
    """``(N, C, H, W)`` blurred by a Gaussian of ``sigma`` pixels (borders reflected); 0: as is."""
    if sigma <= 0:
        return x
    radius = max(1, int(3 * sigma + 0.5))
    taps = torch.arange(-radius, radius + 1, dtype=x.dtype, device=x.device)
    g = torch.exp(-(taps**2) / (2 * sigma**2))
    g = g / g.sum()
    c = x.shape[1]
    x = F.pad(x, (radius, radius, radius, radius), mode="reflect")
    x = F.conv2d(x, g.view(1, 1, 1, -1).expand(c, 1, 1, -1), groups=c)
    return F.conv2d(x, g.view(1, 1, -1, 1).expand(c, 1, -1, 1), groups=c)


def make_consistent(
    sr: torch.Tensor,
    lr: torch.Tensor,
    scale: int,
    iterations: int = DC_ITERATIONS,
    sigma: float = LOW_PASS,
) -> torch.Tensor:
    """Data consistency: correct ``sr`` so that, degraded by the sensor model, it reproduces
    the measured ``lr`` at the scales the measurement is sure of.

    Iterative back-projection (Irani and Peleg 1991) of the low-passed departure:
    ``x <- x + bicubic_up(low_pass(lr - degrade(x), sigma))``, ``iterations`` times, where
    ``degrade`` is the sensor-like Gaussian blur (sigma 2 high-resolution pixels) and x ``scale``
    decimation of :mod:`sr.degrade`. It moves the low frequencies to the measured ones and leaves
    the details the model added; the departure at the scale of single 10 m pixels, mostly the
    measurement's noise and aliasing, is not projected back (``sigma`` 0 projects everything).
    ESA's SEN2SR constrains the low frequencies to the same end.

    Args:
        sr: ``(N, C, scale*H, scale*W)`` enhanced reflectance.
        lr: ``(N, C, H, W)`` measured reflectance (no NaN).
    """
    kernel = gaussian_kernel(scale)
    x = sr
    for _ in range(iterations):
        residual = low_pass(lr - downsample(x, kernel, scale), sigma)
        x = x + F.interpolate(residual, scale_factor=scale, mode="bicubic", align_corners=False)
    return x


def colour_bands(bands: tuple[str, ...]) -> list[int] | None:
    """Where red, green and blue are in ``bands`` (B04, B03, B02, or the only three bands of an
    RGB image), or None when the image has no colour to keep."""
    if all(b in bands for b in RGB):
        return [bands.index(b) for b in RGB]
    return [0, 1, 2] if len(bands) == 3 else None


def keep_colour(sr: torch.Tensor, lr: torch.Tensor, scale: int, rgb: list[int]) -> torch.Tensor:
    """``sr`` with the colour of the measurement: in the bands ``rgb``, the bicubic upsampling of
    ``lr`` plus the enhancement's own brightness detail (the mean of the three bands, minus the
    same for bicubic). A model's colour at the scale of single 10 m pixels is mostly the
    measurement's noise, amplified; its brightness detail is what outlines fields. The other
    bands (near infrared) keep their own detail."""
    bicubic = F.interpolate(lr[:, rgb], scale_factor=scale, mode="bicubic", align_corners=False)
    detail = sr[:, rgb].mean(1, keepdim=True) - bicubic.mean(1, keepdim=True)
    out = sr.clone()
    out[:, rgb] = (bicubic + detail).to(out.dtype)
    return out


def noise_sigma(x: torch.Tensor) -> torch.Tensor:
    """``(N, C)`` standard deviation of the noise of each band of ``(N, C, H, W)`` ``x``
    (NaN-free), by Immerkaer's estimator (1996): the mean absolute response to the 3 x 3
    difference of two Laplacians, which cancels smooth content, times sqrt(pi / 2) / 6. Texture at
    the scale of single pixels counts as noise too, so on real images it is an upper bound."""
    k = torch.tensor([[1, -2, 1], [-2, 4, -2], [1, -2, 1]], dtype=x.dtype, device=x.device)
    n, c, h, w = x.shape
    response = F.conv2d(x.reshape(n * c, 1, h, w), k[None, None])
    return response.abs().mean(dim=(1, 2, 3)).view(n, c) * float(np.sqrt(np.pi / 2) / 6)


def quiet_detail(
    sr: torch.Tensor, lr: torch.Tensor, scale: int, rgb: list[int] | None, strength: float = QUIET
) -> torch.Tensor:
    """``sr`` with the detail it adds to bicubic quieted where it is no larger than the noise.

    Sharpening a real 10 m image sharpens its noise too: fields and water get a fine grain of
    brightness (1.9x bicubic's in flat areas after Decrappify and the step). The detail ``d``
    (``sr`` minus bicubic of ``lr``) is scaled by ``e / (e + t^2)``, a Wiener-like gain, where
    ``e`` is the local mean of ``d^2`` (Gaussian window of :data:`QUIET_WINDOW` output px) and
    ``t`` is ``strength`` x the noise of ``lr`` (:func:`noise_sigma`): kept at field borders, where
    the detail is strong, faded in flat areas, where it is mostly noise. Red, green and blue share
    one gain, from their mean (their detail is one brightness detail, :func:`keep_colour`); every
    other band has its own.

    Args:
        sr: ``(N, C, scale*H, scale*W)`` enhanced reflectance.
        lr: ``(N, C, H, W)`` measured reflectance (no NaN).
        rgb: where red, green and blue are (:func:`colour_bands`), or None.
        strength: ``t`` in units of the noise; 0 leaves ``sr`` as it is.
    """
    if strength <= 0:
        return sr
    bicubic = F.interpolate(lr, scale_factor=scale, mode="bicubic", align_corners=False)
    detail = sr - bicubic
    sigma = noise_sigma(lr)
    groups = [rgb] if rgb else []
    groups += [[c] for c in range(sr.shape[1]) if not rgb or c not in rgb]
    out = sr.clone()
    for group in groups:
        energy = low_pass(detail[:, group].mean(1, keepdim=True) ** 2, QUIET_WINDOW)
        floor = (strength * sigma[:, group].mean(1)).view(-1, 1, 1, 1) ** 2
        gain = energy / (energy + floor).clamp_min(torch.finfo(sr.dtype).tiny)
        out[:, group] = bicubic[:, group] + detail[:, group] * gain
    return out


def consistency_step(
    sr: torch.Tensor, lr: torch.Tensor, scale: int, bands: tuple[str, ...]
) -> torch.Tensor:
    """The data-consistency step that ends every pipeline but bicubic: :func:`make_consistent`,
    then :func:`keep_colour` when ``bands`` have red, green and blue, then
    :func:`quiet_detail`."""
    out = make_consistent(sr, lr, scale)
    rgb = colour_bands(bands)
    return quiet_detail(keep_colour(out, lr, scale, rgb) if rgb else out, lr, scale, rgb)


def departure(sr: torch.Tensor, lr: torch.Tensor, scale: int, sigma: float = LOW_PASS) -> float:
    """Mean absolute reflectance difference between ``sr`` degraded by the sensor model and
    ``lr``, low-passed as by :func:`make_consistent` (which drives it towards 0)."""
    return float(low_pass(downsample(sr, gaussian_kernel(scale), scale) - lr, sigma).abs().mean())
