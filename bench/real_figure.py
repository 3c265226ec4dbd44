"""The real-use figure of docs/evaluation.md: real 10 m -> 2.5 m crops as annotators see them.

``.venv/bin/python -m bench.real_figure [OUT.png]``: a 48 x 48 px area (480 m) of three scenes
(of the demo scene, of the held-out Austria file, date A, and of Denmark), x4 for real
(no degradation), drawn at 8x the 10 m pixels (each 2.5 m pixel as 2 x 2 screen pixels), true
colour with one stretch per row: the original (nearest-neighbour pixels), bicubic, Decrappify
without a step, with the textbook step of before 2026-12-03, and with the default step.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageDraw

import settings
from bench.real_use import real_scenes
from imagery.raster import Raster
from sr.consistency import make_consistent
from sr.enhance import enhance
from webmap.render import stretch_limits, to_rgba

#: (scene name in bench.real_use, top-left row and column of the 48 px area in its 128 px crop)
AREAS = {
    "S2_T33UUU_20170216_L1C_demo": (40, 40),
    "s2_austria_T33UUP_2021_2dates date A": (40, 40),
    "s2_denmark_T33UUB_20170527_L1C_nogeo": (40, 40),
}
SIZE, ZOOM = 48, 8
TITLES = ("original 10 m", "bicubic", "Decrappify, no step", "+ textbook step", "+ step (default)")


def panels(lr: Raster) -> list[np.ndarray]:
    """The ``(C, 4 * SIZE, 4 * SIZE)`` images of a row, the original repeated to that size."""
    raw = enhance(lr, "decrappify", 4, "cpu", consistent=False).data
    textbook = make_consistent(
        torch.from_numpy(raw)[None], torch.from_numpy(lr.data)[None], 4, sigma=0
    )
    return [
        lr.data.repeat(4, axis=1).repeat(4, axis=2),
        enhance(lr, "bicubic", 4, "cpu").data,
        raw,
        textbook[0].clamp_min(0).numpy(),
        enhance(lr, "decrappify", 4, "cpu").data,
    ]


def main(out: Path) -> None:
    side = 4 * SIZE * ZOOM // 4
    rows = []
    for name, _, crop in real_scenes(128):
        if name not in AREAS:
            continue
        y, x = AREAS[name]
        lr = Raster(
            crop.data[:, y : y + SIZE, x : x + SIZE].copy(), crop.crs, crop.transform, crop.bands
        )
        images = panels(lr)
        limits = stretch_limits(lr, "true")
        row = []
        for image in images:
            rgba = to_rgba(Raster(image, lr.crs, lr.transform, lr.bands), "true", limits)
            row.append(Image.fromarray(rgba).resize((side, side), Image.Resampling.NEAREST))
        rows.append((name, row))
    label = 22
    sheet = Image.new("RGB", (side * len(TITLES), (side + label) * len(rows) + label), "white")
    draw = ImageDraw.Draw(sheet)
    for i, title in enumerate(TITLES):
        draw.text((i * side + 6, 4), title, fill="black")
    for r, (name, row) in enumerate(rows):
        top = label + r * (side + label)
        draw.text((6, top + 4), name, fill="black")
        for i, tile in enumerate(row):
            sheet.paste(tile, (i * side, top + label))
    sheet.save(out)
    print(f"wrote {out} ({sheet.width} x {sheet.height} px) from {settings.shared_data_dir()}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("docs/real_use.png"))
