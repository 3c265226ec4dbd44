"""The one entry point for enhancement: a georeferenced raster in, one ``scale`` times finer out.

Pipelines (:data:`PIPELINES`) are chains of two kinds of stage:
- an upsampling: ``bicubic`` (the baseline) or ``dip`` (Deep Image Prior, :mod:`sr.dip`);
- an optional refinement at the output size: ``decrappify`` (:mod:`sr.decrappify`).
Every stage's result is cached on disk when a cache is given (:mod:`sr.cache`), so ``dip`` and
``dip+decrappify`` share the DIP fit. Nodata is handled here once for all: holes are filled with
the band mean before and put back after.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from affine import Affine

import settings
from imagery.local import scene_tags
from imagery.memory import shortfall
from imagery.raster import BANDS, Raster
from imagery.scene import Scene
from sr import dip as dip_module
from sr.cache import ResultCache
from sr.consistency import STEP, colour_bands, consistency_step
from sr.decrappify import refine, weights_hash
from sr.device import pick_device
from sr.errors import EnhanceError, NotCached
from sr.tiles import spans, tile_count, tiled

#: Pipelines by name: (upsampling, refinement or None).
PIPELINES: dict[str, tuple[str, str | None]] = {
    "bicubic": ("bicubic", None),
    "dip": ("dip", None),
    "decrappify": ("bicubic", "decrappify"),
    "dip+decrappify": ("dip", "decrappify"),
}
PRESETS = tuple(dip_module.PRESETS)
DEFAULT_PRESET = dip_module.DEFAULT_PRESET
MIN_SIZE = 8  # smallest input side, pixels
MAX_SCALE = 8  # x8 is 1.25 m from 10 m: beyond any detail the sensor saw
DIP_OVERLAP = 8  # input pixels shared by neighbouring tiles (their size: the preset's ``tile``)
#: Copies of the float32 result alive at once (result, nodata refill, consistency step, writing).
RESULT_COPIES = 4


@dataclass(frozen=True)
class Progress:
    """One step of an enhancement: ``fraction`` done in [0, 1], what is happening, and for DIP
    every so often the image forming (``(C, h, w)`` reflectance of the current tile)."""

    fraction: float
    message: str
    preview: np.ndarray | None = None


ProgressFn = Callable[[Progress], None]


def uses_dip(pipeline: str) -> bool:
    """Whether ``pipeline`` upsamples with Deep Image Prior (a fit of minutes, tuned by a preset);
    False for a name not in :data:`PIPELINES`."""
    return PIPELINES.get(pipeline, ("", None))[0] == "dip"


def result_name(
    pipeline: str, preset: str = DEFAULT_PRESET, scale: int = 4, consistent: bool | None = None
) -> tuple[str, ...]:
    """What identifies a result besides its input (the cache key adds the pixels,
    georeferencing, bands and :data:`sr.cache.CODE_VERSION`): the upsampling, the DIP preset's
    settings (``-`` without DIP), the scale, and for a refinement its name and weights' hash.
    ``consistent`` None names the pipeline's output before the data-consistency step (the
    cached stages: ``dip+decrappify`` begins with ``dip``'s name); True or False adds whether the
    step ran (never on ``bicubic``). A name not in :data:`PIPELINES` or :data:`PRESETS` is
    named as it is (:func:`enhance` refuses it).
    """
    upsampler, refiner = PIPELINES.get(pipeline, (pipeline, None))
    dip_settings = repr(dip_module.PRESETS.get(preset, preset)) if uses_dip(pipeline) else "-"
    parts: tuple[str, ...] = (upsampler, dip_settings, str(scale))
    if refiner:
        parts = (*parts, refiner, weights_hash(settings.decrappify_weights()))
    if consistent is None:
        return parts
    step = STEP if consistent and pipeline != "bicubic" else "none"
    return (*parts, f"consistent={step}")


def model_version(pipeline: str) -> str | None:
    """The version of the trained weights a pipeline uses (None when it uses none)."""
    return weights_hash(settings.decrappify_weights()) if PIPELINES[pipeline][1] else None


def result_tags(
    scene: Scene, pipeline: str, preset: str, source: str | None = None
) -> dict[str, str]:
    """The dataset tags of an enhanced file, the same from ``sr enhance`` and ``runs
    enhance-region``: what stays true of the input's (its date and tile, as
    :func:`imagery.local.scene_tags` writes them), and how the result was made: ``SR_PIPELINE``,
    ``SR_PRESET`` (empty without Deep Image Prior), ``SR_MODEL_VERSION`` (empty without trained
    weights) and ``SR_SOURCE`` (``source``, by default the scene's id)."""
    return scene_tags(scene) | {
        "SR_PIPELINE": pipeline,
        "SR_PRESET": preset if uses_dip(pipeline) else "",
        "SR_MODEL_VERSION": model_version(pipeline) or "",
        "SR_SOURCE": source or scene.id,
    }


def check_scale(raster: Raster, scale: int) -> None:
    """Refuse a scale out of range, or one whose result would not fit in the memory available.

    Raises:
        EnhanceError: either.
    """
    if not 1 <= scale <= MAX_SCALE:
        raise EnhanceError(f"scale must be a whole number from 1 to {MAX_SCALE}, not {scale}")
    pixels = scale**2 * raster.height * raster.width
    short = shortfall(RESULT_COPIES * 4 * len(raster.bands) * pixels)
    if short:
        raise EnhanceError(
            f"the x{scale} result of {raster.width} x {raster.height} px {short}: "
            "enhance a smaller area"
        )


def enhance(
    raster: Raster,
    pipeline: str = "bicubic",
    scale: int = 4,
    device: str | None = None,
    progress: ProgressFn | None = None,
    preset: str = DEFAULT_PRESET,
    cache: ResultCache | None = None,
    consistent: bool = True,
    fit_dip: bool = True,
) -> Raster:
    """Super-resolve a raster.

    Args:
        raster: ``(C, H, W)`` reflectance, NaN for nodata. The pipelines with Decrappify need the
            bands B04, B03, B02, B08 in that order, or three bands taken as red, green and blue
            (:func:`sr.decrappify.refine`).
        pipeline: a name in :data:`PIPELINES`.
        scale: the integer factor (4 turns 10 m pixels into 2.5 m).
        device: ``"cpu"``, ``"cuda"``..., or None to use CUDA when available.
        progress: called with :class:`Progress` as the work goes on.
        preset: DIP settings, a name in :data:`sr.dip.PRESETS`.
        cache: where to keep and find results; None computes everything.
        consistent: end with the data-consistency step (:func:`sr.consistency.consistency_step`:
            the result, degraded by the sensor model, reproduces ``raster`` at the scales above
            its pixels' noise, with the measurement's colour and the enhancement's brightness
            detail). The ``bicubic`` baseline is never changed by it.
        fit_dip: False takes a Deep Image Prior fit only from ``cache`` and raises
            :class:`NotCached` instead of fitting (minutes on a CPU); the other stages take
            seconds and are computed when missing.

    Returns:
        ``(C, scale*H, scale*W)`` reflectance (negative values clipped to 0) in the same CRS and
        bands, with the transform's pixel size divided by ``scale``; NaN where the input was.

    Raises:
        EnhanceError: unknown pipeline, preset or device, bad scale, bands, size, or no valid pixel;
            more memory needed than is available; missing weights.
    """
    if pipeline not in PIPELINES:
        raise EnhanceError(f"unknown pipeline {pipeline!r}; choose one of {sorted(PIPELINES)}")
    if preset not in dip_module.PRESETS:
        raise EnhanceError(f"unknown preset {preset!r}; choose one of {PRESETS}")
    check_scale(raster, scale)
    upsampler, refiner = PIPELINES[pipeline]
    rgb_only = len(raster.bands) == 3 and colour_bands(raster.bands) == [0, 1, 2]
    if refiner and raster.bands != BANDS and not rgb_only:
        raise EnhanceError(
            f"{pipeline} needs the bands {BANDS} or {BANDS[:3]} (red, green, blue) in this "
            f"order, not {raster.bands}"
        )
    if min(raster.height, raster.width) < MIN_SIZE:
        raise EnhanceError(
            f"the area is {raster.width} x {raster.height} px; at least {MIN_SIZE} x {MIN_SIZE} "
            "are needed"
        )
    report = progress or (lambda p: None)
    valid = np.isfinite(raster.data).all(axis=0)
    if not valid.any():
        raise EnhanceError("the raster has no valid pixel to enhance")
    dev = pick_device(device)
    up_part = 0.9 if refiner else 1.0

    def staged(
        name: str, parts: tuple[str, ...], compute: Callable[[], torch.Tensor]
    ) -> np.ndarray:
        key = ResultCache.key(raster, *parts) if cache else ""
        shape = (raster.data.shape[0], scale * raster.height, scale * raster.width)
        hit = cache.get(key, shape) if cache else None
        if hit is not None:
            report(Progress(1.0 if name == pipeline else up_part, f"{name}: from the cache"))
            return hit
        if name == "dip" and not fit_dip:
            raise NotCached("the Deep Image Prior fit of this area is not in the cache")
        result = compute().clamp_min(0).squeeze(0).float().cpu().numpy()
        if cache:
            cache.put(key, result)
        return result

    filled = torch.from_numpy(fill_nodata(raster.data, valid)).unsqueeze(0).to(dev)
    up = staged(
        upsampler,
        result_name(upsampler, preset, scale),
        lambda: _upsample(filled, upsampler, scale, preset, report, up_part),
    )
    if refiner:

        def run_refine() -> torch.Tensor:
            report(Progress(up_part, "Decrappify refinement"))
            with torch.inference_mode():
                return refine(
                    torch.from_numpy(up)[None].to(dev),
                    lambda d, t: report(
                        Progress(up_part + (1 - up_part) * d / t, f"Decrappify tile {d}/{t}")
                    ),
                )

        out = staged(pipeline, result_name(pipeline, preset, scale), run_refine)
    else:
        out = up
    if consistent and pipeline != "bicubic":
        report(Progress(1.0, "data consistency"))
        with torch.inference_mode():
            fixed = consistency_step(
                torch.from_numpy(out)[None].to(dev), filled, scale, raster.bands
            )
        out = fixed[0].clamp_min(0).cpu().numpy()
    out = out.copy()
    hole = np.repeat(np.repeat(~valid, scale, axis=0), scale, axis=1)
    out[:, hole] = np.nan
    report(Progress(1.0, "done"))
    return Raster(
        out.astype(np.float32), raster.crs, raster.transform @ Affine.scale(1 / scale), raster.bands
    )


def estimate_seconds(
    height: int,
    width: int,
    pipeline: str,
    scale: int = 4,
    preset: str = DEFAULT_PRESET,
    device: str | None = None,
) -> float:
    """About how long the Deep Image Prior fits of an enhancement of a ``height`` x ``width`` px
    area take (0 for pipelines without DIP): the cost of an iteration on one tile, measured now
    on this device (a few seconds for ``published`` on a CPU, under one for ``fast``), x the
    preset's iterations x the tiles. Bicubic and Decrappify take seconds at most."""
    if not uses_dip(pipeline):
        return 0.0
    cfg = dip_module.PRESETS[preset]
    (ys, th), (xs, tw) = spans(height, cfg.tile, DIP_OVERLAP), spans(width, cfg.tile, DIP_OVERLAP)
    th, tw = dip_module.fit_side(th, cfg, scale), dip_module.fit_side(tw, cfg, scale)
    per_iteration = dip_module.iteration_seconds(
        cfg, len(BANDS), th, tw, scale, pick_device(device)
    )
    return per_iteration * cfg.iterations * len(ys) * len(xs)


def _upsample(
    x: torch.Tensor, kind: str, scale: int, preset: str, report: ProgressFn, part: float
) -> torch.Tensor:
    if kind == "bicubic":
        report(Progress(0.0, "bicubic interpolation"))
        with torch.inference_mode():
            return F.interpolate(x, scale_factor=scale, mode="bicubic", align_corners=False)
    cfg = dip_module.PRESETS[preset]
    state = {"tile": 0, "tiles": 1}

    def fit_tile(t: torch.Tensor) -> torch.Tensor:
        h, w = t.shape[-2:]
        pad_w, pad_h = (
            dip_module.fit_side(w, cfg, scale) - w,
            dip_module.fit_side(h, cfg, scale) - h,
        )
        padded = F.pad(t, (0, pad_w, 0, pad_h), mode="replicate")

        def on_step(s: dip_module.DipStep) -> None:
            done = (state["tile"] + s.iteration / s.total) / state["tiles"]
            report(
                Progress(
                    part * done,
                    f"Deep Image Prior: tile {state['tile'] + 1}/"
                    f"{state['tiles']}, iteration {s.iteration}, loss {s.loss:.2e}",
                    None if s.preview is None else s.preview[:, : h * scale, : w * scale],
                )
            )

        result = dip_module.fit(padded, scale, cfg, on_step)
        return result.image[..., : h * scale, : w * scale]

    def on_tile(done: int, total: int) -> None:
        state["tile"], state["tiles"] = done, total

    state["tiles"] = tile_count(x, cfg.tile, DIP_OVERLAP)
    return tiled(fit_tile, x, scale, cfg.tile, DIP_OVERLAP, on_tile)


def fill_nodata(data: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Nodata pixels set to each band's mean over valid pixels, so filters do not spread NaN."""
    means = np.array([band[valid].mean() for band in data], dtype=np.float32)
    return np.where(valid, data, means[:, None, None]).astype(np.float32)
