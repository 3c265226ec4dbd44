"""Time and peak memory of each pipeline for a 256 x 256 px area (x4 to 1024 x 1024).

Each measurement runs in a fresh process so that its peak resident memory is its own. Bicubic
and Decrappify run whole. For Deep Image Prior the time is the Enhance page's estimate
(:func:`sr.enhance.estimate_seconds`: measured cost per iteration x iterations x tiles; 4 tiles
for 256 x 256) and the memory that of ``--dip-iterations`` iterations on one tile;
``python -m bench.dip_speed area`` runs the whole fit.

Run alone: ``.venv/bin/python -m bench.pipeline_costs [--device cuda]``
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

import numpy as np
import rasterio
import torch

from imagery.raster import Raster
from settings import DEMO_SCENE as DEMO
from sr.dip import PRESETS

WINDOW = ((200, 456), (600, 856))  # rows, cols of the demo scene: 256 x 256 px of farmland


def area() -> Raster:
    with rasterio.open(DEMO) as ds:
        data = ds.read(window=WINDOW).astype(np.float32) / 10000
        return Raster(data, ds.crs, ds.window_transform(WINDOW))


def peak_mb(device: str) -> float:
    if device.startswith("cuda"):
        return torch.cuda.max_memory_allocated() / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(pipeline: str, preset: str, device: str, dip_iterations: int) -> dict[str, float]:
    from sr import dip
    from sr.enhance import DIP_OVERLAP, enhance, estimate_seconds
    from sr.tiles import spans

    raster = area()
    if pipeline in ("bicubic", "decrappify"):
        enhance(raster, pipeline, 4, device)  # warm-up: model loading, allocator
        start = time.perf_counter()
        enhance(raster, pipeline, 4, device)
        return {"seconds": time.perf_counter() - start, "peak_mb": peak_mb(device)}
    cfg = dip.PRESETS[preset]
    starts, side = spans(256, cfg.tile, DIP_OVERLAP)
    side = dip.fit_side(side, cfg, 4)
    lr = torch.from_numpy(raster.data[:, :side, :side])[None].to(device)
    start = time.perf_counter()
    dip.fit(lr, 4, dip.DipConfig(**{**cfg.__dict__, "iterations": dip_iterations + 2}))
    per_iter = (time.perf_counter() - start) / (dip_iterations + 2)
    tiles = len(starts) ** 2
    total = estimate_seconds(256, 256, pipeline, 4, preset, device)
    if pipeline == "dip+decrappify":
        from sr.decrappify import refine

        up = torch.nn.functional.interpolate(lr.new_zeros(1, 4, 256, 256), scale_factor=4)
        start = time.perf_counter()
        with torch.inference_mode():
            refine(up + 0.1)
        total += time.perf_counter() - start
    return {
        "seconds_per_iteration": per_iter,
        "seconds": total,
        "tiles": tiles,
        "iterations": cfg.iterations,
        "peak_mb": peak_mb(device),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--dip-iterations", type=int, default=10)
    parser.add_argument("--one", nargs=2, metavar=("PIPELINE", "PRESET"))
    args = parser.parse_args()
    if args.one:
        pipeline, preset = args.one
        print(json.dumps(measure(pipeline, preset, args.device, args.dip_iterations)))
        return
    runs = [("bicubic", "-"), ("decrappify", "-")]
    runs += [(p, s) for p in ("dip", "dip+decrappify") for s in PRESETS]
    print(f"device: {args.device}, torch threads: {torch.get_num_threads()}, area 256 x 256 px")
    print("| pipeline | preset | time | DIP s/iteration | peak memory MB |")
    print("|---|---|---|---|---|")
    for pipeline, preset in runs:
        cmd = [
            sys.executable,
            "-m",
            "bench.pipeline_costs",
            "--one",
            pipeline,
            preset,
            "--device",
            args.device,
            "--dip-iterations",
            str(args.dip_iterations),
        ]
        r = json.loads(subprocess.run(cmd, capture_output=True, text=True, check=True).stdout)
        per = f"{r['seconds_per_iteration']:.2f}" if "seconds_per_iteration" in r else ""
        when = (
            f"{r['seconds']:.1f} s"
            if r["seconds"] < 120
            else f"about {r['seconds'] / 60:.0f} min ({r['tiles']} tiles x {r['iterations']} it.)"
        )
        print(f"| {pipeline} | {preset} | {when} | {per} | {r['peak_mb']:.0f} |")


if __name__ == "__main__":
    main()
