"""The one entry point for enhancement: a georeferenced raster in, one ``scale`` times finer out.

Pipelines are registered by name in :data:`PIPELINES`; each takes a ``(1, C, H, W)`` tensor of
reflectance with no NaN, the scale and a progress callback, and returns ``(1, C, sH, sW)``.
Nodata is handled here, once for all pipelines: holes are filled before and put back after.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from affine import Affine

from sr.device import pick_device
from sr.errors import ImageryError
from sr.raster import Raster


@dataclass(frozen=True)
class Progress:
    """One step of an enhancement: ``fraction`` done in [0, 1] and what is happening."""

    fraction: float
    message: str


ProgressFn = Callable[[Progress], None]
Pipeline = Callable[[torch.Tensor, int, ProgressFn], torch.Tensor]


def bicubic(x: torch.Tensor, scale: int, progress: ProgressFn) -> torch.Tensor:
    """Bicubic interpolation (Keys, a = -0.75, as in torch), the baseline every model must beat."""
    progress(Progress(0.0, "bicubic interpolation"))
    return F.interpolate(x, scale_factor=scale, mode="bicubic", align_corners=False)


#: Pipelines by the name users choose them with.
PIPELINES: dict[str, Pipeline] = {"bicubic": bicubic}


def enhance(
    raster: Raster,
    pipeline: str = "bicubic",
    scale: int = 4,
    device: str | None = None,
    progress: ProgressFn | None = None,
) -> Raster:
    """Super-resolve a raster.

    Args:
        raster: ``(C, H, W)`` reflectance, NaN for nodata.
        pipeline: a name in :data:`PIPELINES`.
        scale: the integer factor (4 turns 10 m pixels into 2.5 m).
        device: ``"cpu"``, ``"cuda"``..., or None to use CUDA when available.
        progress: called with :class:`Progress` as the work goes on.

    Returns:
        ``(C, scale*H, scale*W)`` reflectance (negative values clipped to 0) in the same CRS and
        bands, with the transform's pixel size divided by ``scale``; NaN where the input was.

    Raises:
        ImageryError: unknown pipeline, bad scale, or no valid pixel.
    """
    if pipeline not in PIPELINES:
        raise ImageryError(f"unknown pipeline {pipeline!r}; choose one of {sorted(PIPELINES)}")
    if scale < 1:
        raise ImageryError(f"scale must be a positive integer, not {scale}")
    report = progress or (lambda p: None)
    valid = np.isfinite(raster.data).all(axis=0)
    if not valid.any():
        raise ImageryError("the raster has no valid pixel to enhance")
    filled = _fill_nodata(raster.data, valid)
    dev = pick_device(device)
    with torch.inference_mode():
        x = torch.from_numpy(filled).unsqueeze(0).to(dev)
        y = PIPELINES[pipeline](x, scale, report).clamp_min(0).squeeze(0).float().cpu().numpy()
    hole = np.repeat(np.repeat(~valid, scale, axis=0), scale, axis=1)
    y[:, hole] = np.nan
    report(Progress(1.0, "done"))
    return Raster(
        y.astype(np.float32),
        raster.crs,
        raster.transform @ Affine.scale(1 / scale),
        raster.bands,
    )


def _fill_nodata(data: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Nodata pixels set to each band's mean over valid pixels, so filters do not spread NaN."""
    means = np.array([band[valid].mean() for band in data], dtype=np.float32)
    return np.where(valid, data, means[:, None, None]).astype(np.float32)
