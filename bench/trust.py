"""Trust in the enhancement, on held-out real imagery: ESA's opensr-test correctness metrics and
the grid score, per pipeline.

1. The held-out Austria file, both dates, a centred crop degraded x4 by the sensor-like Gaussian
   (the reduced-resolution protocol of ``python -m sr.training evaluate``), enhanced back;
   opensr-test 1.3.3 (``Metrics(correctness_distance="nd")``, offline) scores each result
   against the real 10 m image: improvement (higher is better), hallucination and omission
   (lower is better), and the reflectance / spectral / spatial consistency with the
   low-resolution input.
2. The demo scene enhanced for real (10 m -> 2.5 m, no reference): the grid score of each result.

Needs ``make bench-setup`` (opensr-test is a benchmark dependency only). Run alone:
``.venv/bin/python -m bench.trust [--crop 128] [--preset fast]``. DIP fits are cached like the
app's, so a run after ``python -m sr.training evaluate --crop 128`` reuses its fits.
"""

from __future__ import annotations

import argparse
import logging

import numpy as np
import torch
from affine import Affine
from shapely.geometry import shape

import settings
from imagery.geotiff import read_raster
from imagery.local import scenes_in_file
from imagery.raster import Raster
from imagery.read import read_area
from sr.cache import ResultCache
from sr.degrade import degrade_raster
from sr.enhance import PIPELINES, enhance
from sr.training.evaluate import centre_crop
from sr.training.metrics import grid_score

AUSTRIA = settings.shared_data_dir() / "s2_austria_T33UUP_2021_2dates.tif"
COLUMNS = ("im_metric", "ha_metric", "om_metric", "reflectance", "spectral", "spatial")
#: (pipeline, data consistency) pairs scored; the learned ones also without the step.
RUNS = [(p, True) for p in PIPELINES] + [(p, False) for p in PIPELINES if p != "bicubic"]


def held_out(crop: int, preset: str, cache: ResultCache) -> list[str]:
    import opensr_test

    metrics = opensr_test.Metrics(device="cpu", correctness_distance="nd")
    lines = [
        "| date | pipeline | consistency | improvement | hallucination | omission "
        "| reflectance | spectral ° | spatial | grid % |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for i, scene in enumerate(scenes_in_file(AUSTRIA)):
        hr = centre_crop(read_area(scene, shape(scene.footprint).bounds, max_size=4096), crop)
        lr = degrade_raster(hr, "gaussian", 4)
        for pipeline, consistent in RUNS:
            sr = enhance(lr, pipeline, 4, "cpu", preset=preset, cache=cache, consistent=consistent)
            found = metrics.compute(
                lr=torch.from_numpy(lr.data),
                sr=torch.from_numpy(np.nan_to_num(sr.data)),
                hr=torch.from_numpy(np.nan_to_num(hr.data[:, : sr.height, : sr.width])),
            )
            row = " | ".join(f"{float(found[c]):.3f}" for c in COLUMNS)
            on = "-" if pipeline == "bicubic" else ("on" if consistent else "off")
            lines.append(f"| {'AB'[i]} | {pipeline} | {on} | {row} | {grid_score(sr.data):.1f} |")
    return lines


def demo_for_real(preset: str, cache: ResultCache) -> list[str]:
    raster, _ = read_raster(settings.DEMO_SCENE, 4096)
    y, x, size = 300, 700, 64  # farmland; 64 px keeps DIP to one tile
    area = Raster(
        raster.data[:, y : y + size, x : x + size].copy(),
        raster.crs,
        raster.transform @ Affine.translation(x, y),
        raster.bands,
    )
    lines = ["| pipeline | grid % (demo scene, 10 m -> 2.5 m for real) |", "|---|---|"]
    lines.append(f"| original 10 m | {grid_score(area.data):.1f} |")
    for pipeline in PIPELINES:
        sr = enhance(area, pipeline, 4, "cpu", preset=preset, cache=cache)
        lines.append(f"| {pipeline} | {grid_score(sr.data):.1f} |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--crop", type=int, default=128)
    parser.add_argument("--preset", default="fast")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    torch.set_num_threads(2)
    cache = ResultCache(settings.cache_dir())
    print("\n".join(held_out(args.crop, args.preset, cache)))
    print()
    print("\n".join(demo_for_real(args.preset, cache)))


if __name__ == "__main__":
    main()
