"""The real-use figure of docs/evaluation.md: real 10 m -> 2.5 m crops as annotators see them.

``.venv/bin/python -m bench.real_figure [OUT.png]``: a 48 x 48 px area (480 m) of three scenes
(of the demo scene, of the held-out Austria file, date A, and of Denmark), x4 for real
(no degradation), drawn at 8x the 10 m pixels (each 2.5 m pixel as 2 x 2 screen pixels), true
colour with one stretch per row: the original (nearest-neighbour pixels), bicubic, Decrappify
without a step, with the textbook step of before 2026-12-03, with the default step, DIP and
DIP + Decrappify (preset fast, with the step; their fits cached in ``SR_CACHE_DIR``).

Beside it, ``OUT_naip.png``: the clear frame t0 of each Sentinel-2 / NAIP pair of
``shared/data/xsens`` (32 x 32 px at 9.555 m), bicubic, the default, and NAIP registered onto
bicubic and harmonised to it (:mod:`sr.training.metrics`), at 8x.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import torch
from affine import Affine
from PIL import Image, ImageDraw

import settings
from bench.cross_sensor import read_rgb
from bench.real_use import STAND_IN, TCI_REFLECTANCE, real_scenes
from imagery.raster import Raster
from sr.cache import ResultCache
from sr.consistency import make_consistent
from sr.enhance import enhance
from sr.training.metrics import harmonise, register_reference, shift_image
from webmap.render import stretch_limits, to_rgba

#: (scene name in bench.real_use, top-left row and column of the 48 px area in its 128 px crop)
AREAS = {
    "S2_T33UUU_20170216_L1C_demo": (40, 40),
    "s2_austria_T33UUP_2021_2dates date A": (40, 40),
    "s2_denmark_T33UUB_20170527_L1C_nogeo": (40, 40),
}
SIZE, ZOOM = 48, 8
TITLES = (
    "original 10 m",
    "bicubic",
    "Decrappify, no step",
    "+ textbook step",
    "+ step (default)",
    "DIP + step",
    "DIP+Decrappify + step",
)
NAIP_TITLES = ("Sentinel-2 TCI", "bicubic", "default", "NAIP (reference)")


def panels(lr: Raster, cache: ResultCache) -> list[np.ndarray]:
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
        *(enhance(lr, p, 4, "cpu", cache=cache).data for p in ("dip", "dip+decrappify")),
    ]


def naip_rows() -> list[Row]:
    """(name, images, input) of frame t0 of each cross-sensor pair."""
    rows = []
    for pair in ("s2naip_pair1", "s2naip_pair2"):
        folder = settings.shared_data_dir() / "xsens" / pair
        data = (read_rgb(folder / "s2_tci_t0_rgb.tif") * TCI_REFLECTANCE).astype(np.float32)
        lr = Raster(data, STAND_IN, Affine(9.555, 0, 0, 0, -9.555, 0), ("B04", "B03", "B02"))
        bicubic = enhance(lr, "bicubic", 4, "cpu").data
        naip = read_rgb(folder / "naip_rgb_ref.tif") / 255
        moved = shift_image(naip, register_reference(bicubic, naip))
        images = [
            lr.data.repeat(4, axis=1).repeat(4, axis=2),
            bicubic,
            enhance(lr, "decrappify", 4, "cpu").data,
            harmonise(moved, bicubic).astype(np.float32),
        ]
        rows.append((f"{pair} t0", images, lr))
    return rows


Row = tuple[str, list[np.ndarray], Raster]  # name, panels, the 10 m input


def sheet_of(titles: tuple[str, ...], rows: list[Row]) -> Image.Image:
    """One image: a title per column, a name and a row of panels (one stretch per row) each."""
    side = rows[0][1][0].shape[-1] * ZOOM // 4
    label = 22
    sheet = Image.new("RGB", (side * len(titles), (side + label) * len(rows) + label), "white")
    draw = ImageDraw.Draw(sheet)
    for i, title in enumerate(titles):
        draw.text((i * side + 6, 4), title, fill="black")
    for r, (name, images, lr) in enumerate(rows):
        top = label + r * (side + label)
        draw.text((6, top + 4), name, fill="black")
        limits = stretch_limits(lr, "true")
        for i, image in enumerate(images):
            rgba = to_rgba(Raster(image, lr.crs, lr.transform, lr.bands), "true", limits)
            tile = Image.fromarray(rgba).resize((side, side), Image.Resampling.NEAREST)
            sheet.paste(tile, (i * side, top + label))
    return sheet


def main(out: Path) -> None:
    cache = ResultCache(settings.cache_dir())
    rows = []
    for name, _, crop in real_scenes(128):
        if name not in AREAS:
            continue
        y, x = AREAS[name]
        lr = Raster(
            crop.data[:, y : y + SIZE, x : x + SIZE].copy(), crop.crs, crop.transform, crop.bands
        )
        rows.append((name, panels(lr, cache), lr))
    for path, sheet in (
        (out, sheet_of(TITLES, rows)),
        (out.with_name(out.stem + "_naip.png"), sheet_of(NAIP_TITLES, naip_rows())),
    ):
        sheet.save(path)
        print(f"wrote {path} ({sheet.width} x {sheet.height} px) from {settings.shared_data_dir()}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("docs/real_use.png"))
