"""The figure of docs/evaluation.md: one area of the held-out Austria file, original and each
pipeline.

``.venv/bin/python -m bench.figure [OUT.png]``: a 64 x 64 px area (640 m) of date A, x4, shown
in true colour with the same stretch; the original is drawn with nearest-neighbour pixels.
"""

from __future__ import annotations

import sys
from pathlib import Path

from affine import Affine
from PIL import Image, ImageDraw

import settings
from imagery.local import scenes_in_file
from imagery.raster import Raster
from sr.cache import ResultCache
from sr.enhance import enhance
from webmap.render import stretch_limits, to_rgba

AUSTRIA = settings.shared_data_dir() / "s2_austria_T33UUP_2021_2dates.tif"
WINDOW = (150, 230)  # top-left row, col of the 64 x 64 px area
PANELS = [
    ("original 10 m", None),
    ("bicubic", "bicubic"),
    ("Deep Image Prior (fast)", "dip"),
    ("Decrappify", "decrappify"),
    ("DIP + Decrappify (fast)", "dip+decrappify"),
]


def main(out: Path) -> None:
    from shapely.geometry import shape

    from imagery.read import read_area

    scene = scenes_in_file(AUSTRIA)[0]
    full = read_area(scene, shape(scene.footprint).bounds, max_size=4096)
    r, c = WINDOW
    area = Raster(
        full.data[:, r : r + 64, c : c + 64],
        full.crs,
        full.transform @ Affine.translation(c, r),
        full.bands,
    )
    limits = stretch_limits(area, "true")
    cache = ResultCache(settings.cache_dir())
    tiles = []
    for title, pipeline in PANELS:
        if pipeline is None:
            rgba = to_rgba(area, "true", limits).repeat(4, axis=0).repeat(4, axis=1)
        else:
            rgba = to_rgba(enhance(area, pipeline, 4, cache=cache), "true", limits)
        img = Image.fromarray(rgba[..., :3])
        canvas = Image.new("RGB", (img.width, img.height + 22), "white")
        canvas.paste(img, (0, 22))
        ImageDraw.Draw(canvas).text((4, 4), title, fill="black")
        tiles.append(canvas)
    figure = Image.new("RGB", (sum(t.width + 6 for t in tiles), tiles[0].height), "white")
    x = 0
    for t in tiles:
        figure.paste(t, (x, 0))
        x += t.width + 6
    out.parent.mkdir(parents=True, exist_ok=True)
    figure.save(out)
    print(f"wrote {out}")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/figure.png"))
