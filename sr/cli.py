"""Command line: ``python -m sr enhance IN.tif OUT.tif`` (inference only; training is
``python -m sr.training``, whole regions ``python -m runs``)."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable
from pathlib import Path

import settings
from imagery.clouds import cloud_warning
from imagery.errors import UserError
from imagery.geotiff import check_output, read_raster, write_raster
from imagery.read import MAX_SIZE
from sr.cache import ResultCache
from sr.enhance import DEFAULT_PRESET, PIPELINES, PRESETS, Progress, check_scale, enhance
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
    warning = cloud_warning(raster)
    if warning:
        log.warning("warning: %s", warning)

    shown = {-1}

    def report(p: Progress) -> None:
        step = int(p.fraction * 20)  # one line per 5 %
        if step not in shown:
            shown.add(step)
            log.info("%3.0f%% %s", 100 * p.fraction, p.message)

    cache = None if args.no_cache else ResultCache(settings.cache_dir())
    result = enhance(
        raster,
        args.pipeline,
        args.scale,
        args.device,
        report,
        args.preset,
        cache,
        consistent=not args.no_consistency,
    )
    write_raster(result, args.output, dtype)
    log.info("wrote %s (%d x %d px)", args.output, result.width, result.height)
