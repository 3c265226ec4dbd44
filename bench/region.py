"""Region-scale enhancement on Ray: tiles per second with 1 and 2 local workers, memory per
worker against the region's size, and the plan for a full Sentinel-2 tile with DIP on a cluster.

Run alone (the workers share this machine's cores): ``.venv/bin/python -m bench.region``.
Inputs are centre crops of Virginia T18SVG (``../shared/data/train``; 1933 x 1947 px, the only
real file here of 1024 px a side; it is training data, and this bench measures speed and memory,
not quality). Each run starts its own local Ray instance; "wall s" includes that start (about
5 s) and the COG, "tile s" and "tiles/s" do not (they include each worker's first model load).
Peak memory is each worker process's resident peak; the driver's is its peak over the runs so
far (runs go from small to large).
"""

from __future__ import annotations

import argparse
import math
import resource
import tempfile
import time
from pathlib import Path

import rasterio
from rasterio.windows import Window

import settings
from imagery.geotiff import write_geotiff
from imagery.local import scenes_in_file
from runs.region import HALO, RegionRequest
from runs.region_run import enhance_region
from sr.enhance import estimate_seconds

SOURCE = "train/s2_virginia_T18SVG_L1C.tif"
FULL_TILE = 10980  # px a side of a Sentinel-2 tile at 10 m


def crop(size: int, folder: Path) -> Path:
    """A centre crop of ``size`` px of the source, as a local scene file."""
    path = folder / f"virginia_{size}.tif"
    with rasterio.open(settings.shared_data_dir() / SOURCE) as ds:
        window = Window((ds.width - size) // 2, (ds.height - size) // 2, size, size)
        data = ds.read(window=window)
        write_geotiff(path, data, ds.crs, ds.window_transform(window), 0, ds.descriptions)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", nargs="+", default=["512:2", "1024:1", "1024:2", "1920:2"])
    parser.add_argument("--pipeline", default="decrappify")
    parser.add_argument("--tile", type=int, default=256)
    args = parser.parse_args()
    print(
        "| input px | workers | tiles | wall s | tile s | tiles/s | peak MiB per worker "
        "| driver peak MiB so far |"
    )
    print("|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for run in args.runs:
            size, workers = (int(v) for v in run.split(":"))
            path = crop(size, Path(tmp))
            request = RegionRequest(
                scenes_in_file(path)[0], path.stem, args.pipeline, tile=args.tile
            )
            start = time.perf_counter()
            result = enhance_region(request, Path(tmp) / f"out_{run.replace(':', '_')}", workers)
            wall = time.perf_counter() - start
            peaks = ", ".join(f"{m:.0f}" for m in sorted(result.peak_mib.values()))
            print(
                f"| {size} | {workers} | {result.computed} | {wall:.1f} | {result.seconds:.1f} "
                f"| {result.tiles_per_second:.3f} | {peaks} "
                f"| {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} |"
            )
    side = args.tile + 2 * HALO
    per_tile = estimate_seconds(side, side, "dip", preset="fast")
    tiles = math.ceil(FULL_TILE / args.tile) ** 2
    print(
        f"\nDIP (fast) on one {args.tile} px tile with its halo ({side} px read), this machine: "
        f"about {per_tile:.0f} s (measured iteration cost x iterations x DIP tiles). "
        f"A full Sentinel-2 tile is {tiles} tiles of {args.tile} px."
    )


if __name__ == "__main__":
    main()
