"""Reduced-resolution (Wald) evaluation: degrade real 10 m images x4, enhance them back, and
compare with the real 10 m images.

Each acquisition of each file is cropped (to a centred square of ``crop`` px when given, which
bounds the run time of Deep Image Prior on a CPU; then to a multiple of the scale), degraded
with each kernel of :mod:`sr.degrade` (no noise), enhanced by each pipeline and scored with
:mod:`sr.training.metrics` on the pixels valid in both.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import torch
from affine import Affine
from shapely.geometry import shape

from imagery.local import scenes_in_file
from imagery.raster import Raster
from imagery.read import read_area
from sr.cache import ResultCache
from sr.consistency import consistency_step, departure
from sr.degrade import degrade_raster
from sr.enhance import DEFAULT_PRESET, MIN_SIZE, enhance
from sr.errors import EnhanceError
from sr.training.metrics import METRICS, grid_score

log = logging.getLogger(__name__)

Row = dict[str, str | float]
#: A reference row, not a pipeline of the app: bicubic followed by the data-consistency step
#: (iterative back-projection alone), so that the step's share of a pipeline's gain is visible.
BICUBIC_CONSISTENT = "bicubic+consistency"


def centre_crop(raster: Raster, size: int) -> Raster:
    """The centred ``size`` x ``size`` part of a raster (or all of it where smaller)."""
    y0, x0 = max(0, (raster.height - size) // 2), max(0, (raster.width - size) // 2)
    data = raster.data[:, y0 : y0 + size, x0 : x0 + size]
    return Raster(data, raster.crs, raster.transform @ Affine.translation(x0, y0), raster.bands)


def evaluate(
    paths: Iterable[Path],
    pipelines: Iterable[str],
    degradations: Iterable[str] = ("lanczos", "gaussian"),
    scale: int = 4,
    preset: str = DEFAULT_PRESET,
    device: str | None = None,
    cache: ResultCache | None = None,
    crop: int | None = None,
    consistent: bool = True,
) -> list[Row]:
    """One row per image, degradation and pipeline with PSNR, SSIM, SAM, GMSD, the grid score
    (:func:`sr.training.metrics.grid_score`), the departure from the low-resolution input under the
    sensor model (:func:`sr.consistency.departure`) and seconds."""
    if crop is not None and crop < MIN_SIZE * scale:
        raise EnhanceError(f"--crop must be at least {MIN_SIZE * scale} px, not {crop}")
    rows: list[Row] = []
    for path in paths:
        for scene in scenes_in_file(path):
            hr = read_area(scene, shape(scene.footprint).bounds, max_size=4096)
            if crop:
                hr = centre_crop(hr, crop)
            if min(hr.height, hr.width) < MIN_SIZE * scale:
                raise EnhanceError(
                    f"{path.name} is {hr.width} x {hr.height} px; evaluation degrades it x{scale} "
                    f"and needs at least {MIN_SIZE * scale} x {MIN_SIZE * scale}"
                )
            h, w = hr.height // scale * scale, hr.width // scale * scale
            ref = hr.data[:, :h, :w]
            for kind in degradations:
                lr = degrade_raster(hr, kind, scale)
                runs = [(p, p) for p in pipelines]
                if consistent and "bicubic" in pipelines:
                    runs.append(("bicubic", BICUBIC_CONSISTENT))
                for pipeline, label in runs:
                    start = time.perf_counter()
                    sr = enhance(
                        lr,
                        pipeline,
                        scale,
                        device,
                        preset=preset,
                        cache=cache,
                        consistent=consistent,
                    )
                    if label == BICUBIC_CONSISTENT:
                        low = torch.from_numpy(lr.data)[None]
                        fixed = consistency_step(
                            torch.from_numpy(sr.data)[None], low, scale, lr.bands
                        )
                        sr = Raster(fixed[0].numpy(), sr.crs, sr.transform, sr.bands)
                    seconds = time.perf_counter() - start
                    ok = np.isfinite(ref).all(0) & np.isfinite(sr.data).all(0)
                    a = np.where(ok, sr.data, 0.0)
                    b = np.where(ok, ref, 0.0)
                    row: Row = {"image": scene.id, "degradation": kind, "pipeline": label}
                    row.update({name: fn(a, b) for name, fn in METRICS.items()})
                    row["grid"] = grid_score(sr.data)
                    row["departure"] = departure(
                        torch.from_numpy(np.nan_to_num(sr.data))[None],
                        torch.from_numpy(lr.data)[None],
                        scale,
                    )
                    row["seconds"] = seconds
                    log.info("%s", row)
                    rows.append(row)
    return rows


def table(rows: list[Row]) -> str:
    """A Markdown table, with the PSNR gain over bicubic for the same image and degradation."""
    base = {(r["image"], r["degradation"]): r["PSNR"] for r in rows if r["pipeline"] == "bicubic"}
    lines = [
        "| image | degradation | pipeline | PSNR dB | vs bicubic | SSIM | SAM deg | GMSD | grid % "
        "| departure | s |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        ref = base.get((r["image"], r["degradation"]))
        gain = f"{float(r['PSNR']) - float(ref):+.2f}" if ref is not None else ""
        lines.append(
            f"| {r['image']} | {r['degradation']} | {r['pipeline']} | {float(r['PSNR']):.2f} | "
            f"{gain} | {float(r['SSIM']):.4f} | {float(r['SAM']):.3f} | {float(r['GMSD']):.4f} | "
            f"{float(r['grid']):.1f} | {float(r['departure']):.5f} | {float(r['seconds']):.1f} |"
        )
    return "\n".join(lines)
