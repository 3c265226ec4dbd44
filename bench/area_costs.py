"""Time the app's steps for square areas of the demo scene: read, enhance (bicubic x4), render.

Run alone (other torch processes on 2 cores distort it): ``.venv/bin/python -m bench.area_costs``
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import partial
from typing import TypeVar

import torch
from rasterio.warp import transform_bounds

from imagery.local import scenes_in_file
from imagery.read import read_area
from settings import DEMO_SCENE as DEMO
from sr.enhance import enhance
from webmap.render import overlay

T = TypeVar("T")


def timed(fn: Callable[[], T], repeat: int = 3) -> tuple[T, float]:
    """The result and the best wall time of ``repeat`` runs, in seconds."""
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return result, best  # type: ignore[return-value]


def main() -> None:
    [scene] = scenes_in_file(DEMO)
    print(f"torch threads: {torch.get_num_threads()}, device: cpu")
    print("| area (10 m px) | read | bicubic x4 | overlay original | overlay enhanced | PNG MB |")
    print("|---|---|---|---|---|---|")
    for size in (128, 256, 512):
        x0, y0 = 335000.0, 5820000.0
        bbox = transform_bounds(
            "EPSG:32633", "EPSG:4326", x0, y0 - size * 10 + 1, x0 + size * 10 - 1, y0
        )
        area, t_read = timed(partial(read_area, scene, bbox))
        sr, t_sr = timed(partial(enhance, area, "bicubic", 4, "cpu"))
        _, t_ov = timed(partial(overlay, area))
        big, t_big = timed(partial(overlay, sr))
        print(
            f"| {area.width} x {area.height} | {t_read:.3f} s | {t_sr:.3f} s | {t_ov:.3f} s "
            f"| {t_big:.3f} s | {len(big.png) / 1e6:.1f} |"
        )


if __name__ == "__main__":
    main()
