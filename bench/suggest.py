"""Polygon suggestions (``labels.suggest``) against fields outlined by hand, and their speed.

Run alone: ``.venv/bin/python -m bench.suggest`` (``--half tune`` shows the tuning half of the
development set instead of the held-out one; ``--no-austria`` skips the Austria part;
``--learn`` prints part 4 alone).

1. **The development set** (``bench.fields``: 157 fields outlined by eye on four real scenes, in
   Denmark, Brandenburg, Virginia and Madagascar, by sessions that did not see the method): one
   click at each field's interior point (shapely's ``representative_point``) on the 10 m image;
   per region, the median IoU counting a refusal as 0, the share refused, and the median
   confidence; and what one press of Larger or Smaller gives (the best of the three outlines:
   an annotator sees which one fits). Then the same with the images' red, green and blue bands
   alone, as a true-colour file gives them. Claims are made on the held-out half only.
2. **Austria**: the 31 fields of ``bench/data/austria_fields.geojson``, outlined by hand on the
   10 m image of date A of the held-out Austria file; the settings of before 2026-12-04 were
   chosen on them, so these figures are optimistic. Clicked on the original 10 m image and on the
   same image enhanced x4 with Decrappify (taken from the result cache, or computed: about a
   minute on a CPU), each alone and with the 10 m image of date B of the same file as the second
   date (``suggest(..., second=)``).
3. **Speed**: clicks at 25 points of a 512 x 512 px area made by mirroring the Austria image,
   of that area enhanced (2048 x 2048 px, bicubic: the cost does not depend on the method), and
   of a 2048 x 2048 px area of 10 m pixels mirrored the same way, four bands and true-colour.
4. **Learning from the set** (``--learn``): the same clicks once 5 or 10 fields are labelled on
   the image (``suggest(..., typical_m2=)``, as the Label page passes it): for each field
   clicked, the fields labelled before are drawn at random among the region's others (either
   half: only their areas are used), :data:`DRAWS` times; per region and for the Austria fields.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np
import rasterio
from rasterio.warp import transform, transform_geom
from rasterio.windows import Window
from shapely.geometry import shape

import settings
from bench import fields as dev
from imagery.local import scenes_in_file
from imagery.raster import Raster
from imagery.read import read_window
from labels.suggest import suggest
from sr.cache import ResultCache
from sr.enhance import enhance

#: Random sets of fields labelled before each click (part 4).
DRAWS = 3
ROOT = Path(__file__).resolve().parent.parent
FIELDS = ROOT / "bench" / "data" / "austria_fields.geojson"
AUSTRIA = ROOT / settings.shared_data_dir() / "s2_austria_T33UUP_2021_2dates.tif"


def date_a() -> Raster:
    return whole_date(0)


def whole_date(index: int) -> Raster:
    """The whole Austria image of date A (0) or B (1), 10 m."""
    scene = scenes_in_file(AUSTRIA)[index]
    with rasterio.open(AUSTRIA) as ds:
        width, height = ds.width, ds.height
    return read_window(scene, Window(0, 0, width, height))


def scores(
    raster: Raster, fields: list[dict[str, Any]], second: Raster | None = None
) -> tuple[list[float], list[float], int]:
    """IoU with each field (0 where nothing was suggested), seconds per click, refusals; with
    ``second``, the same area on another date."""
    ious, seconds, refused = [], [], 0
    for f in fields:
        truth = shape(f["geometry"])
        click = truth.representative_point()
        start = time.perf_counter()
        got = suggest(raster, click.x, click.y, second)
        seconds.append(time.perf_counter() - start)
        refused += got.geometry is None
        truth_crs = shape(transform_geom("EPSG:4326", raster.crs, f["geometry"]))
        ious.append(overlap(got.geometry, truth_crs, raster.crs))
    return ious, seconds, refused


def mirrored(raster: Raster, size: int) -> Raster:
    """A ``size`` x ``size`` px raster made of the image and its mirror images (real texture)."""
    _, h, w = raster.data.shape
    pad = ((0, 0), (0, max(0, size - h)), (0, max(0, size - w)))
    data = np.pad(raster.data, pad, mode="symmetric")[:, :size, :size]
    return Raster(np.ascontiguousarray(data), raster.crs, raster.transform, raster.bands)


def speed(raster: Raster) -> list[float]:
    west, north = raster.transform * (0, 0)
    east, south = raster.transform * (raster.width, raster.height)
    lons = np.linspace(west, east, 7)[1:-1]
    lats = np.linspace(north, south, 7)[1:-1]
    seconds = []
    for x in lons:
        for y in lats:
            [lon], [lat] = transform(raster.crs, "EPSG:4326", [x], [y])
            start = time.perf_counter()
            suggest(raster, lon, lat)
            seconds.append(time.perf_counter() - start)
    return seconds


def dev_set(half: str, true_colour: bool = False) -> None:
    """Print the development set's table for ``half`` (``"held-out"`` or ``"tune"``); with
    ``true_colour``, of the images' red, green and blue bands alone (a true-colour file)."""
    bands = "red, green and blue bands only" if true_colour else "B04, B03, B02, B08"
    print(f"Development set, {half} half: one click at each field's interior point, 10 m image")
    print(f"({bands})")
    print("(one press: the best of the outline proposed, one Larger and one Smaller)")
    print()
    print(
        "| region | fields | median IoU | IoU >= 0.5 | IoU >= 0.75 | refused | confidence "
        "| one press: median IoU | IoU >= 0.75 |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    every: list[float] = []
    pressed: list[float] = []
    refusals = 0
    for region in dev.regions():
        raster, fields = dev.scene(region)
        if true_colour:
            raster = Raster(raster.data[:3], raster.crs, raster.transform, raster.bands[:3])
        ious, best, sure, refused = [], [], [], 0
        for f in [f for f in fields if f.half == half]:
            point = f.outline.representative_point()
            [lon], [lat] = transform(raster.crs, "EPSG:4326", [point.x], [point.y])
            got = suggest(raster, lon, lat)
            if got.geometry is None:
                refused += 1
            else:
                sure.append(got.confidence or 0.0)
            ious.append(overlap(got.geometry, f.outline, raster.crs))
            best.append(
                max(
                    ious[-1],
                    *(
                        overlap(
                            suggest(raster, lon, lat, step=step).geometry, f.outline, raster.crs
                        )
                        for step in (1, -1)
                    ),
                )
            )
        every += ious
        pressed += best
        refusals += refused
        print(row(region, ious, refused, sure) + f" {statistics.median(best):.3f} | "
              f"{sum(i >= 0.75 for i in best)} |")  # fmt: skip
    print(row("all", every, refusals, []) + f" {statistics.median(pressed):.3f} | "
          f"{sum(i >= 0.75 for i in pressed)} |")  # fmt: skip
    print()


def learning(half: str) -> None:
    """Print part 4: per region of the development set (``half``'s fields clicked) and for the
    Austria fields, the median / mean IoU of one click alone and once 5 or 10 fields are
    labelled on the image (:data:`DRAWS` random sets of them for each click)."""
    print(f"Learning from the set: {half} half, one click at each field's interior point, once")
    print("5 or 10 other fields of the region are labelled (10 m image, B04, B03, B02, B08)")
    print()
    print("| region | fields | click alone: median / mean IoU | after 5 | after 10 |")
    print("|---|---|---|---|---|")
    original = date_a()
    austria = [
        shape(transform_geom("EPSG:4326", original.crs, f["geometry"]))
        for f in json.loads(FIELDS.read_text())["features"]
    ]
    places = []
    for region in dev.regions():
        raster, fields = dev.scene(region)
        clicked = [i for i, f in enumerate(fields) if f.half == half]
        places.append((region, raster, [f.outline for f in fields], clicked))
    places.append(("austria (tuned on before)", original, austria, list(range(len(austria)))))
    every: dict[int, list[float]] = {0: [], 5: [], 10: []}
    for name, raster, outlines, clicked in places:
        got: dict[int, list[float]] = {0: [], 5: [], 10: []}
        for i in clicked:
            point = outlines[i].representative_point()
            [lon], [lat] = transform(raster.crs, "EPSG:4326", [point.x], [point.y])
            others = [o.area for j, o in enumerate(outlines) if j != i]  # metres: UTM scenes
            for k in got:
                rng = np.random.default_rng(i)
                for _ in range(DRAWS if k else 1):
                    labelled = np.log(rng.choice(others, k, replace=False)) if k else None
                    typical = None if labelled is None else float(np.exp(labelled.mean()))
                    found = suggest(raster, lon, lat, typical_m2=typical)
                    got[k].append(overlap(found.geometry, outlines[i], raster.crs))
        cells = [f"{statistics.median(v):.3f} / {np.mean(v):.3f}" for v in got.values()]
        print(f"| {name} | {len(clicked)} | " + " | ".join(cells) + " |")
        if outlines is not austria:
            for k, v in got.items():
                every[k] += v
    cells = [f"{statistics.median(v):.3f} / {np.mean(v):.3f}" for v in every.values()]
    print("| all four regions | - | " + " | ".join(cells) + " |")
    print()


def overlap(geometry: dict[str, Any] | None, truth: Any, crs: Any) -> float:
    """IoU of a suggested outline (WGS84 GeoJSON; 0 when there is none) with ``truth`` (in
    ``crs``)."""
    if geometry is None:
        return 0.0
    outline = shape(transform_geom("EPSG:4326", crs, geometry))
    return float(outline.intersection(truth).area / outline.union(truth).area)


def row(name: str, ious: list[float], refused: int, sure: list[float]) -> str:
    n = len(ious)
    confidence = f"{statistics.median(sure):.2f}" if sure else "-"
    return (
        f"| {name} | {n} | {statistics.median(ious):.3f} | {sum(i >= 0.5 for i in ious)} | "
        f"{sum(i >= 0.75 for i in ious)} | {refused} ({refused / n:.0%}) | {confidence} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--half", choices=("held-out", "tune"), default="held-out")
    parser.add_argument("--no-austria", action="store_true", help="the development set only")
    parser.add_argument("--learn", action="store_true", help="part 4 alone: learning from the set")
    args = parser.parse_args()
    if args.learn:
        learning(args.half)
        return
    dev_set(args.half)
    dev_set(args.half, true_colour=True)
    if args.no_austria:
        return
    fields = json.loads(FIELDS.read_text())["features"]
    original = date_a()
    enhanced = enhance(original, "decrappify", 4, "cpu", cache=ResultCache(settings.cache_dir()))
    print(f"{len(fields)} hand-drawn fields, Austria date A; one click each at its interior point")
    print()
    print("| image | median IoU | IoU >= 0.5 | IoU >= 0.75 | refused | median s/click |")
    print("|---|---|---|---|---|---|")
    per_field: dict[str, list[float]] = {}
    b = whole_date(1)
    for name, raster, second in (
        ("original 10 m", original, None),
        ("Decrappify 2.5 m", enhanced, None),
        ("original 10 m + date B", original, b),
        ("Decrappify 2.5 m + date B", enhanced, b),
    ):
        ious, seconds, refused = scores(raster, fields, second)
        print(
            f"| {name} | {statistics.median(ious):.3f} | "
            f"{sum(i >= 0.5 for i in ious)}/{len(ious)} | "
            f"{sum(i >= 0.75 for i in ious)}/{len(ious)} | {refused} | "
            f"{statistics.median(seconds):.3f} |"
        )
        per_field[name] = ious
    print()
    for name, ious in per_field.items():
        print(f"IoU per field, {name}: " + " ".join(f"{i:.2f}" for i in ious))
    print()
    area = mirrored(original, 512)
    big = enhance(area, "bicubic", 4, "cpu")
    wide = mirrored(original, 2048)
    rgb = Raster(wide.data[:3], wide.crs, wide.transform, wide.bands[:3])
    print("| area | clicks | median s | max s |")
    print("|---|---|---|---|")
    for name, raster in (
        ("512 x 512 px, 10 m", area),
        ("2048 x 2048 px, 2.5 m", big),
        ("2048 x 2048 px, 10 m", wide),
        ("2048 x 2048 px, 10 m, true-colour", rgb),
    ):
        seconds = speed(raster)
        print(
            f"| {name} | {len(seconds)} | {statistics.median(seconds):.3f} | {max(seconds):.3f} |"
        )


if __name__ == "__main__":
    main()
