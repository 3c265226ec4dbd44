"""Command line: ``python -m sr enhance IN.tif OUT.tif`` (inference only; training is
``python -m sr.training``, whole regions ``python -m runs``).

The input's acquisitions are found as the app's catalogue finds them
(:func:`imagery.local.scenes_in_file`); each acquisition of a multi-date file (4 x N bands) is
enhanced on its own and written in its place as B04, B03, B02, B08, every band described by its
ESA name, with the tags :func:`sr.enhance.result_tags` gives, so the app and ``runs
enhance-region`` read the output as they read the input.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
from rasterio.errors import RasterioError

import settings
from imagery.clouds import cloud_warning
from imagery.errors import UserError
from imagery.geotiff import check_output, read_raster, to_dtype, write_geotiff
from imagery.local import scenes_in_file
from imagery.raster import Raster
from imagery.read import MAX_SIZE
from imagery.scene import Scene
from sr.cache import ResultCache
from sr.enhance import (
    DEFAULT_PRESET,
    PIPELINES,
    PRESETS,
    Progress,
    ProgressFn,
    check_scale,
    enhance,
    result_tags,
)
from sr.errors import EnhanceError
from terminal import log_to_terminal, say

log = logging.getLogger("sr")

#: Commands that lived here, and where they are now.
MOVED = {
    "train": "python -m sr.training train",
    "evaluate": "python -m sr.training evaluate",
    "dip-dataset": "python -m sr.training dip-dataset",
    "enhance-region": "python -m runs enhance-region",
}


def main(argv: list[str] | None = None) -> int:
    args_given = sys.argv[1:] if argv is None else argv
    if args_given and args_given[0] in MOVED:
        say(f"error: `python -m sr {args_given[0]}` is now `{MOVED[args_given[0]]}`", sys.stderr)
        return 2
    parser = argparse.ArgumentParser(prog="python -m sr", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    enh = sub.add_parser("enhance", help="super-resolve a GeoTIFF")
    enh.add_argument("input", type=Path)
    enh.add_argument("output", type=Path)
    enh.add_argument("--pipeline", default="bicubic", choices=sorted(PIPELINES))
    enh.add_argument("--scale", type=int, default=4)
    enh.add_argument("--device", default=None, help="cpu, cuda, ... (default: CUDA if present)")
    enh.add_argument(
        "--preset", default=DEFAULT_PRESET, choices=PRESETS, help="Deep Image Prior settings"
    )
    enh.add_argument("--max-size", type=int, default=MAX_SIZE, help="largest side in pixels")
    enh.add_argument("--no-cache", action="store_true", help="neither read nor write the cache")
    enh.add_argument(
        "--no-consistency",
        action="store_true",
        help="skip the data-consistency step (see sr/consistency.py)",
    )

    args = parser.parse_args(args_given)
    return reported(lambda: _enhance(args))


def reported(work: Callable[[], None]) -> int:
    """Run a command's ``work`` with its log on the terminal; a user error ends in one line on
    stderr and 1, not a traceback (the commands of ``sr``, ``sr.training`` and ``runs``)."""
    log_to_terminal()
    logging.getLogger("rasterio").setLevel(logging.CRITICAL)  # GDAL's errors become our one line
    try:
        work()
    except (UserError, ValueError, OSError) as err:
        say(f"error: {err}", sys.stderr)
        return 1
    except MemoryError:  # a size the checks did not foresee: one line, not a traceback
        say("error: not enough memory for this raster: enhance a smaller area", sys.stderr)
        return 1
    return 0


def _enhance(args: argparse.Namespace) -> None:
    if args.output.resolve() == args.input.resolve():
        raise EnhanceError(
            f"the output {args.output} is the input file; choose another output path"
        )
    check_output(args.output)  # before anything is computed
    raster, dtype = read_raster(args.input, args.max_size)
    check_scale(raster, args.scale)  # before anything else is computed on it
    parts = acquisitions(args.input, raster)
    cache = None if args.no_cache else ResultCache(settings.cache_dir())
    lines, consistent = ProgressLines(len(parts)), not args.no_consistency
    stored: np.ndarray | None = None  # every acquisition's result, as the file stores it
    done = 0
    for i, (scene, part) in enumerate(parts):  # one acquisition at a time, each on its own
        named = f"{scene.id}: " if len(parts) > 1 else ""
        warning = cloud_warning(part)
        if warning:
            log.warning("warning: %s%s", named, warning)
        report = lines.of(i, named)
        result = enhance(
            part, args.pipeline, args.scale, args.device, report, args.preset, cache, consistent
        )
        # Converted as it comes: the reflectance of one acquisition at a time is held at x4.
        data, nodata = to_dtype(result.data, dtype)
        if stored is None:
            bands = sum(len(p.bands) for _, p in parts)
            stored = np.empty((bands, result.height, result.width), data.dtype)
        stored[done : done + len(result.bands)] = data
        done += len(result.bands)
        del data
    assert stored is not None
    tags = result_tags(parts[0][0], args.pipeline, args.preset, args.input.stem)
    names = [b for _, p in parts for b in p.bands]
    write_geotiff(args.output, stored, result.crs, result.transform, nodata, names, tags)
    log.info("wrote %s (%d x %d px)", args.output, result.width, result.height)


class ProgressLines:
    """A log line every 5 % of a command's work, done over ``parts`` acquisitions one by one."""

    def __init__(self, parts: int) -> None:
        self.parts, self.shown = parts, {-1}

    def of(self, part: int, named: str) -> ProgressFn:
        """The progress callback of acquisition ``part`` (0-based), its lines led by ``named``."""

        def report(p: Progress) -> None:
            fraction = (part + p.fraction) / self.parts
            step = int(fraction * 20)
            if step not in self.shown:
                self.shown.add(step)
                log.info("%3.0f%% %s%s", 100 * fraction, named, p.message)

        return report


def acquisitions(path: Path, raster: Raster) -> list[tuple[Scene, Raster]]:
    """The acquisitions in a file read whole, each with its bands (B04, B03, B02, B08, or B04,
    B03, B02), found as the app's catalogue finds them (:func:`imagery.local.scenes_in_file`);
    a band in none of them is left out, with a warning.

    Raises:
        EnhanceError: the file's bands cannot be told apart.
    """
    try:
        scenes = scenes_in_file(path)
    except (ValueError, RasterioError) as err:
        raise EnhanceError(f"cannot tell the bands of {path.name}: {err}") from err
    parts = []
    for scene in scenes:
        index = [b.index - 1 for b in scene.bands]
        names = tuple(b.name for b in scene.bands)
        parts.append((scene, Raster(raster.data[index], raster.crs, raster.transform, names)))
    used = {b.index for s in scenes for b in s.bands}
    left = [name for i, name in enumerate(raster.bands) if i + 1 not in used]
    if left:
        log.warning("warning: %s: the bands %s are left out", path.name, ", ".join(left))
    return parts
