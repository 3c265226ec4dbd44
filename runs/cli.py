"""Command line: ``python -m runs enhance-region IN.tif OUT_DIR`` (a whole raster in tiles, on
Ray or here, to a COG and its STAC Item)."""

from __future__ import annotations

import argparse
import logging
import re
import sys
import time
from pathlib import Path

import pystac
from rasterio.errors import RasterioError

import settings
from imagery.local import scenes_in_file
from imagery.scene import Scene
from imagery.stac import item_to_scene
from runs.region import RegionRequest
from runs.region_run import enhance_region
from sr.cli import reported
from sr.enhance import DEFAULT_PRESET, PIPELINES, PRESETS
from sr.errors import EnhanceError

log = logging.getLogger("runs")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m runs", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    reg = sub.add_parser(
        "enhance-region",
        help="a whole raster in tiles on Ray, to a COG and a STAC Item (runs/region.py)",
    )
    reg.add_argument("input", type=Path, nargs="?", help="a GeoTIFF of B04, B03, B02 (and B08)")
    reg.add_argument("out_dir", type=Path)
    reg.add_argument("--stac-item", default="", help="read the COG bands of this STAC Item URL")
    reg.add_argument("--pipeline", default="decrappify", choices=sorted(PIPELINES))
    reg.add_argument("--preset", default=DEFAULT_PRESET, choices=PRESETS)
    reg.add_argument("--tile", type=positive, default=256, help="tile side in input pixels")
    reg.add_argument("--workers", type=positive, default=2, help="workers of a local Ray instance")
    reg.add_argument(
        "--address", default=settings.ray_address(), help="a Ray cluster (default $RAY_ADDRESS)"
    )
    reg.add_argument("--no-ray", action="store_true", help="compute the tiles in this process")
    reg.add_argument(
        "--acquisition", type=int, default=1, help="which acquisition of a multi-date file (1..N)"
    )
    reg.add_argument("--no-consistency", action="store_true", help="skip the data-consistency step")

    args = parser.parse_args(argv)
    return reported(lambda: _enhance_region(args))


def _enhance_region(args: argparse.Namespace) -> None:
    scene = region_scene(args.input, args.stac_item, args.acquisition)
    region = enhance_region(
        RegionRequest(
            scene,
            args.input.stem if args.input else item_name(scene.id),
            args.pipeline,
            args.preset,
            args.tile,
            consistent=not args.no_consistency,
        ),
        args.out_dir,
        args.workers,
        args.address,
        TileBar(),
        use_ray=not args.no_ray,
    )
    log.info(
        "wrote %s and its STAC Item: %d tiles computed (%.2f tiles/s), %d skipped; "
        "peak memory per worker %s MiB",
        region.cog,
        region.computed,
        region.tiles_per_second,
        region.skipped,
        ", ".join(f"{m:.0f}" for m in region.peak_mib.values()) or "-",
    )


def positive(text: str) -> int:
    """An argument that must be a whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of at least 1")
    return value


def item_name(item_id: str) -> str:
    """The outputs' base name for a STAC Item: its id, with anything but letters, digits,
    ``_ . -`` replaced (an id is the catalogue's text, and it names files in ``OUT_DIR``)."""
    return re.sub(r"[^\w.-]", "_", item_id).strip("._")[:120] or "item"


def region_scene(path: Path | None, item_url: str, acquisition: int) -> Scene:
    """The scene a region run reads: a local GeoTIFF's acquisition or a STAC Item's COGs.

    Raises:
        EnhanceError: neither or both given, no such acquisition, or an unusable item.
    """
    if bool(path) == bool(item_url):
        raise EnhanceError("give either an input GeoTIFF or --stac-item URL")
    if item_url:
        try:
            scene = item_to_scene(pystac.Item.from_file(item_url))
        except (OSError, ValueError, KeyError, pystac.STACError) as err:
            raise EnhanceError(f"cannot read the STAC Item {item_url}: {err}") from err
        if scene is None:
            raise EnhanceError(
                f"the STAC Item {item_url} lacks the bands B04, B03, B02, B08 "
                "(or B04, B03, B02 in one true-colour asset)"
            )
        return scene
    assert path is not None
    try:
        scenes = scenes_in_file(path)
    except (RasterioError, ValueError) as err:
        raise EnhanceError(f"cannot read {path}: {err}") from err
    if not 1 <= acquisition <= len(scenes):
        raise EnhanceError(f"{path.name} holds {len(scenes)} acquisition(s), not {acquisition}")
    return scenes[acquisition - 1]


class TileBar:
    """A progress bar on the terminal: tiles done, tiles per second, time left (a line every
    10 % when stderr is not a terminal)."""

    def __init__(self) -> None:
        self.start, self.shown = time.monotonic(), -1
        self.tty = sys.stderr.isatty()

    def __call__(self, done: int, total: int, skipped: int) -> None:
        computed, elapsed = done - skipped, time.monotonic() - self.start
        rate = computed / elapsed if elapsed > 0 and computed else 0.0
        eta = f"{(total - done) / rate:.0f} s left" if rate else "time left unknown"
        width = 30
        bar = "#" * (width * done // max(total, 1))
        line = (
            f"[{bar:<{width}}] {done}/{total} tiles ({skipped} from an earlier run), "
            f"{rate:.2f} tiles/s, {eta}"
        )
        if self.tty:
            print(f"\r{line}", end="\n" if done == total else "", file=sys.stderr, flush=True)
        elif 10 * done // max(total, 1) != self.shown:
            self.shown = 10 * done // max(total, 1)
            print(line, file=sys.stderr, flush=True)
