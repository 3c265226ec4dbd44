"""Real use: what annotators see when a real 10 m image is enhanced x4 to 2.5 m.

A centred crop of ``--crop`` px of every scene of ``shared/data/train``, the demo scene and the
held-out Austria file (both dates), enhanced x4 for real (no degradation). Each result is scored
against bicubic of the same input (:mod:`sr.training.metrics`): its colour speckle (high-pass of
the chroma channels) and its luminance noise over the flat third of the area, as ratios to
bicubic's (1.00: as clean as bicubic; 3: three times bicubic's RMS). How close the results are
to a real sharper image of the same ground: :mod:`bench.cross_sensor`.

The ``*_nogeo`` training files carry no CRS either: they are read with
:func:`imagery.geotiff.read_bands` and given the same stand-in CRS.

Pipelines: bicubic (the reference of the ratios), bicubic + the data-consistency step (the
library never applies the step to bicubic: the bench applies
:func:`sr.consistency.consistency_step` as :func:`sr.enhance.enhance` does for the others),
Decrappify with the step (the app's default), without, and with the textbook step of before
2026-12-03 (:func:`sr.consistency.make_consistent` with ``sigma=0``, no colour rule: the old
default), and with ``--with-dip`` DIP and
DIP + Decrappify (``--preset``, default ``fast``) with and without it. DIP fits are cached like
the app's (``SR_CACHE_DIR``), so DIP + Decrappify reuses DIP's fit and a second run reuses both;
bicubic and Decrappify are computed every time, so their seconds are real.

With ``--tci`` the real-use scenes are first made what a user with only Sentinel-2's
true-colour product has: red, green and blue at 8 bits (reflectance x :data:`TCI_SCALE`,
rounded, clipped to 1-255, read back as the reader does), no near infrared.

Run alone: ``.venv/bin/python -m bench.real_use [--crop 128] [--with-dip] [--tci]
[--device cpu]``.
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from affine import Affine
from rasterio.crs import CRS
from rasterio.windows import Window

import settings
from imagery.geotiff import read_bands
from imagery.local import scenes_in_file
from imagery.pixels import TCI_SCALE
from imagery.raster import Raster
from imagery.read import read_window, scene_grid
from sr.cache import ResultCache
from sr.consistency import consistency_step, make_consistent
from sr.enhance import DEFAULT_PRESET, enhance, fill_nodata, uses_dip
from sr.training.evaluate import centre_crop
from sr.training.metrics import (
    colour_speckle,
    flat_mask,
    luminance_noise,
)

SCALE = 4
#: Stand-in CRS of the files that carry none (the cache key needs one; no measure uses it).
STAND_IN = CRS.from_epsg(3857)
#: Country of each scene, by the start of its file name (``shared/data/README.md``).
COUNTRIES = {
    "s2_austria": "Austria",
    "s2_denmark": "Denmark",
    "s2_madagascar": "Madagascar",
    "s2_pasture": "unknown (tropical)",
    "s2_patagonia": "Argentina",
    "s2_sharkbay": "Australia",
    "s2_virginia": "USA",
    "S2_T33UUU": "Germany",
}
TCI_REFLECTANCE = 1 / TCI_SCALE  # reflectance of one TCI step


@dataclass(frozen=True)
class Run:
    """A pipeline as scored here: the library's name and whether the consistency step ends it."""

    pipeline: str
    consistent: bool
    textbook: bool = False  # the step of before 2026-12-03 instead

    @property
    def label(self) -> str:
        if self.textbook:
            return self.pipeline + " + textbook step"
        return self.pipeline + (" + step" if self.consistent else "")


def runs(with_dip: bool) -> list[Run]:
    """What is scored, bicubic first (the reference of the ratios)."""
    names = ["bicubic", "decrappify"] + (["dip", "dip+decrappify"] if with_dip else [])
    return [Run(p, c) for p in names for c in (False, True)] + [Run("decrappify", False, True)]


class Timer:
    """Seconds spent per run label, and how many areas."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.areas: dict[str, int] = defaultdict(int)


def enhanced(
    lr: Raster, run: Run, device: str, preset: str, cache: ResultCache, timer: Timer
) -> np.ndarray:
    """``(C, 4H, 4W)`` reflectance of ``run`` on ``lr``.

    Raises:
        EnhanceError: the pipeline refuses the input.
    """
    start = time.perf_counter()
    dip = uses_dip(run.pipeline)
    out = enhance(
        lr,
        run.pipeline,
        SCALE,
        device,
        preset=preset,
        cache=cache if dip else None,
        consistent=run.consistent,
    ).data
    if (run.pipeline == "bicubic" and run.consistent) or run.textbook:
        with torch.inference_mode():
            valid = np.isfinite(lr.data).all(axis=0)
            lr_t = torch.from_numpy(fill_nodata(lr.data, valid))[None]  # as enhance fills it
            x = torch.from_numpy(np.nan_to_num(out))[None]
            if run.textbook:
                fixed = make_consistent(x, lr_t, SCALE, sigma=0)
            else:
                fixed = consistency_step(x, lr_t, SCALE, lr.bands)
        out = np.where(np.isfinite(out), fixed[0].clamp_min(0).numpy(), np.nan)
    timer.seconds[run.label] += time.perf_counter() - start
    timer.areas[run.label] += 1
    return out


def _country(name: str) -> str:
    return next((c for k, c in COUNTRIES.items() if name.startswith(k)), "unknown")


def real_scenes(crop: int) -> Iterator[tuple[str, str, Raster]]:
    """(name, country, centred ``crop`` px at 10 m) of every real-use scene."""
    shared = settings.shared_data_dir()
    paths = sorted((shared / "train").glob("*.tif"))
    paths += [settings.DEMO_SCENE, shared / "s2_austria_T33UUP_2021_2dates.tif"]
    for path in paths:
        try:
            scenes = scenes_in_file(path)
        except ValueError:  # no CRS: the *_nogeo training files
            data, bands, _ = read_bands(path)
            raster = Raster(data, STAND_IN, Affine(10, 0, 0, 0, -10, 0), bands)
            yield path.stem, _country(path.stem), centre_crop(raster, crop)
            continue
        for i, scene in enumerate(scenes):
            width, height, *_ = scene_grid(scene)
            x0, y0 = max(0, (width - crop) // 2), max(0, (height - crop) // 2)
            area = read_window(scene, Window(x0, y0, min(crop, width), min(crop, height)))
            name = scene.id if len(scenes) == 1 else f"{path.stem} date {'AB'[i]}"
            yield name, _country(path.stem), area


def as_tci(lr: Raster) -> Raster:
    """``lr``'s red, green and blue as an 8-bit true-colour file holds them (nodata kept)."""
    rgb = lr.data[:3]
    steps = np.clip(np.round(rgb * TCI_SCALE), 1, 255) / TCI_SCALE
    data = np.where(np.isfinite(rgb), steps, np.nan).astype(np.float32)
    return Raster(data, lr.crs, lr.transform, lr.bands[:3])


def real_use(
    crop: int,
    todo: list[Run],
    device: str,
    preset: str,
    cache: ResultCache,
    timer: Timer,
    tci: bool = False,
) -> list[str]:
    speckle: dict[str, dict[str, float]] = {}
    noise: dict[str, dict[str, float]] = {}
    rows: list[tuple[str, str, float, float]] = []
    for name, country, scene in real_scenes(crop):
        lr = as_tci(scene) if tci else scene
        outs = {run.label: enhanced(lr, run, device, preset, cache, timer) for run in todo}
        bicubic = outs["bicubic"]
        mask = flat_mask(bicubic)
        base_s, base_n = colour_speckle(bicubic), luminance_noise(bicubic, mask)
        speckle[name] = {k: colour_speckle(v) / base_s for k, v in outs.items()}
        noise[name] = {k: luminance_noise(v, mask) / base_n for k, v in outs.items()}
        rows.append((name, country, base_s, base_n))
        nodata = float(np.isnan(lr.data).any(axis=0).mean())
        if nodata:
            logging.warning("%s: %.1f %% of the crop is nodata (left out)", name, 100 * nodata)
    labels = [run.label for run in todo if run.label != "bicubic"]
    lines: list[str] = []
    for title, values, base in (
        ("colour speckle", speckle, 2),
        ("luminance noise in flat areas", noise, 3),
    ):
        lines += [
            f"Real use, {title}: ratio to bicubic of the same input "
            f"({crop} x {crop} px at 10 m, x{SCALE}); bicubic's own RMS in reflectance",
            "",
            "| scene | country | bicubic RMS | " + " | ".join(labels) + " |",
            "|---|---|---|" + "---|" * len(labels),
        ]
        for row in rows:
            cells = " | ".join(f"{values[row[0]][k]:.2f}" for k in labels)
            lines.append(f"| {row[0]} | {row[1]} | {row[base]:.5f} | {cells} |")
        for how, fn in (("mean", np.mean), ("max", np.max)):
            cells = " | ".join(f"**{fn([v[k] for v in values.values()]):.2f}**" for k in labels)
            lines.append(f"| {how} over {len(rows)} scenes | | | {cells} |")
        lines.append("")
    return lines


def machine(device: str) -> str:
    flags = ""
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text().split()
        flags = ", ".join(f.upper() for f in ("avx", "avx2", "fma", "avx512f") if f in cpuinfo)
    except OSError:
        pass
    return (
        f"Machine: {os.cpu_count()} CPU cores ({flags or 'flags unknown'}), torch "
        f"{torch.__version__} with {torch.get_num_threads()} threads, device {device}, "
        f"Python {platform.python_version()}"
    )


def pipeline_parser(doc: str | None) -> argparse.ArgumentParser:
    """The options of the benches that enhance with :func:`runs`' pipelines."""
    parser = argparse.ArgumentParser(description=doc)
    parser.add_argument("--with-dip", action="store_true", help="also DIP and DIP + Decrappify")
    parser.add_argument("--preset", default=DEFAULT_PRESET, help="DIP preset")
    parser.add_argument("--device", default="cpu")
    return parser


def start(args: argparse.Namespace) -> tuple[ResultCache, list[Run], Timer]:
    """Logging, 2 threads at most, the result cache, the runs and a timer; the machine printed."""
    logging.basicConfig(level=logging.WARNING)
    torch.set_num_threads(min(2, os.cpu_count() or 1))
    print(machine(args.device))
    print()
    return ResultCache(settings.cache_dir()), runs(args.with_dip), Timer()


def main() -> None:
    parser = pipeline_parser(__doc__)
    parser.add_argument("--crop", type=int, default=128, help="side of the centred crop, 10 m px")
    parser.add_argument("--tci", action="store_true", help="real-use scenes as 8-bit RGB")
    args = parser.parse_args()
    cache, todo, timer = start(args)
    print("\n".join(real_use(args.crop, todo, args.device, args.preset, cache, timer, args.tci)))
    print(
        "Time per pipeline: enhancement only (scoring left out), over the real-use areas; "
        "DIP fits taken from the cache count as found there"
    )
    print()
    print("| pipeline | areas | seconds | seconds per area |")
    print("|---|---|---|---|")
    for run in todo:
        n, s = timer.areas[run.label], timer.seconds[run.label]
        print(f"| {run.label} | {n} | {s:.1f} | {s / max(n, 1):.2f} |")


if __name__ == "__main__":
    main()
