"""Deep Image Prior: how fast each preset reaches the published set-up's quality, and what an
area costs.

``crops``: on 128 px centre crops of real images (reduced-resolution protocol: degraded x4 by
the sensor-like Gaussian or by ``--degradation lanczos``, DIP's own test kernel, fitted back,
scored against the real 10 m crop, as it is and after the data-consistency step, "DC"; the
bicubic row's DC column is bicubic + DC, back-projection alone), every preset runs in
this one process on the same input and device. The PSNR of the result-so-far is taken every
``--every`` iterations; the target is the published set-up's final PSNR minus 0.1 dB. Each row
also has the fit's peak memory above the process's at its start: on a CPU a fit after a larger
one reuses the memory that one freed and reads lower, so a preset's own figure comes from
``--presets NAME`` alone.
``area``: the ``dip`` pipeline of the app on a square area of the Austria file (tiles and all).
``tiles``: one fit of a whole area against the same area fitted in 2 x 2 tiles, with the default
preset, on the largest square of each Austria date (376 px, degraded x4 to 94 px, fitted back by
the app's pipeline, scored against the real crop as it is and after the consistency step).

Run alone (other torch processes on 2 cores distort it):
``.venv/bin/python -m bench.dip_speed crops``, ``... area`` and ``... tiles``.
"""

from __future__ import annotations

import argparse
import dataclasses
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import torch
import torch.nn.functional as F
from affine import Affine
from shapely.geometry import shape

import settings
from imagery.local import scenes_in_file
from imagery.raster import BANDS, Raster
from imagery.read import read_area
from sr import dip
from sr.consistency import consistency_step
from sr.degrade import downsample, kernel_for
from sr.enhance import enhance, estimate_seconds
from sr.training.data import load_reflectance
from sr.training.evaluate import centre_crop
from sr.training.metrics import psnr

AUSTRIA = "s2_austria_T33UUP_2021_2dates.tif"
#: Austria (held out, both dates), Denmark (the validation scene of the Decrappify training) and
#: a Madagascar scene.
CROP_FILES = (
    AUSTRIA,
    "train/s2_denmark_T33UUB_20170527_L1C_nogeo.tif",
    "train/s2_madagascar_T38KPD_20170203_L2A.tif",
)
TOLERANCE = 0.1  # dB below the published PSNR that still counts as reaching it


def _rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096


@contextmanager
def peak_memory() -> Iterator[list[float]]:
    """Yields a list that holds, after the block, the peak resident memory above the start (GB;
    sampled every 5 ms on a CPU, exact on CUDA)."""
    cuda = torch.cuda.is_available()
    if cuda:
        torch.cuda.reset_peak_memory_stats()
    start, peak, done = _rss(), [_rss()], threading.Event()

    def sample() -> None:
        while not done.wait(0.005):
            peak[0] = max(peak[0], _rss())

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    result: list[float] = []
    try:
        yield result
    finally:
        done.set()
        thread.join()
        used = torch.cuda.max_memory_allocated() if cuda else max(peak[0], _rss()) - start
        result.append(used / 1e9)


def crops(size: int, degradation: str) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """(name, real 10 m crop, its x4 degraded version) for each acquisition in CROP_FILES, as
    ``(4, size, size)`` and ``(4, size / 4, size / 4)`` reflectance."""
    images = []
    for name in CROP_FILES:
        path = settings.shared_data_dir() / name
        if name == AUSTRIA:  # two dates in one file
            for scene in scenes_in_file(path):
                images.append(
                    (scene.id.split("/")[-1], read_area(scene, shape(scene.footprint).bounds).data)
                )
        else:  # a training scene, maybe without georeferencing
            images.append((path.stem, load_reflectance(path)))
    out = []
    for name, data in images:
        _, h, w = data.shape
        y0, x0 = (h - size) // 2, (w - size) // 2
        hr = torch.from_numpy(np.ascontiguousarray(data[:, y0 : y0 + size, x0 : x0 + size]))
        lr = downsample(hr[None], kernel_for(degradation, 4), 4)[0]
        out.append((name, hr.numpy(), lr.numpy()))
    return out


@dataclasses.dataclass
class Run:
    curve: list[tuple[int, float, float, float]]  # (iteration, seconds, PSNR, PSNR after DC)
    seconds: float
    iterations: int
    peak_gb: float  # resident memory above the start (CPU) or CUDA memory allocated

    def reached(self, target: float, column: int) -> tuple[int, float] | None:
        """(iteration, seconds) of the first PSNR (``column`` 2) or PSNR after the
        data-consistency step (3) at or above ``target``."""
        return next((row[:2] for row in self.curve if row[column] >= target), None)


def psnrs(image: torch.Tensor, lr: torch.Tensor, ref: np.ndarray) -> tuple[float, float]:
    """PSNR of a ``(1, C, H, W)`` result against ``ref``, as it is and after the
    data-consistency step with the input ``lr``."""
    fixed = consistency_step(image, lr, 4, BANDS)
    return psnr(image[0].cpu().numpy(), ref), psnr(fixed[0].cpu().numpy(), ref)


def fit(cfg: dip.DipConfig, ref: np.ndarray, lr: np.ndarray, every: int, device: str) -> Run:
    """One fit, scored every ``every`` iterations (the scoring is left out of the times)."""
    x = torch.from_numpy(lr)[None].to(device)
    curve: list[tuple[int, float, float, float]] = []
    start, scoring = time.perf_counter(), [0.0]

    def score(iteration: int, image: np.ndarray) -> None:
        now = time.perf_counter()
        plain, fixed = psnrs(torch.from_numpy(image)[None].to(device), x, ref)
        curve.append((iteration, now - start - scoring[0], plain, fixed))
        scoring[0] += time.perf_counter() - now

    def on_step(step: dip.DipStep) -> None:
        if step.preview is not None:
            score(step.iteration, step.preview)

    with peak_memory() as memory:
        result = dip.fit(x, 4, dataclasses.replace(cfg, preview_every=every), on_step)
    seconds = time.perf_counter() - start - scoring[0]
    if curve[-1][0] != result.iterations:
        score(result.iterations, result.image[0].cpu().numpy())
    return Run(curve, seconds, result.iterations, memory[0])


def bench_crops(
    presets: list[str], every: int, device: str, degradation: str, limit: int | None
) -> None:
    print(f"device: {device}, torch threads: {torch.get_num_threads()}, degradation: {degradation}")
    print(
        "| crop | preset | s/it | iterations | wall s | wall / published | PSNR dB (vs bicubic) | "
        f"it. (s) to published - {TOLERANCE} dB | with DC: PSNR dB (vs bicubic) | "
        f"it. (s) to published with DC - {TOLERANCE} dB | peak GB |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for name, ref, lr in crops(128, degradation)[:limit]:
        x = torch.from_numpy(lr)[None]
        bicubic, back_projected = psnrs(F.interpolate(x, scale_factor=4, mode="bicubic"), x, ref)
        print(
            f"| {name} | bicubic | | | | | {bicubic:.2f} | | {back_projected:.2f} "
            f"({back_projected - bicubic:+.2f}) | | |"
        )
        runs = {p: fit(dip.PRESETS[p], ref, lr, every, device) for p in presets}
        published = runs.get("published")
        for preset, run in runs.items():
            cells = []
            for column in (2, 3):
                final = run.curve[-1][column]
                cells.append(f"{final:.2f} ({final - bicubic:+.2f})")
                hit = published and run.reached(published.curve[-1][column] - TOLERANCE, column)
                cells.append(f"{hit[0]} ({hit[1]:.0f})" if hit else "not reached")
            ratio = f"{run.seconds / published.seconds:.3f}" if published else ""
            print(
                f"| {name} | {preset} | {run.seconds / run.iterations:.3f} | {run.iterations} | "
                f"{run.seconds:.0f} | {ratio} | {' | '.join(cells)} | {run.peak_gb:.2f} |",
                flush=True,
            )


def bench_area(size: int, preset: str, device: str) -> None:
    [scene, _] = scenes_in_file(settings.shared_data_dir() / AUSTRIA)
    area = centre_crop(read_area(scene, shape(scene.footprint).bounds, max_size=4096), size)
    print(f"device: {device}, torch threads: {torch.get_num_threads()}")
    estimate = estimate_seconds(area.height, area.width, "dip", 4, preset, device)
    print(
        "| area (10 m px) | preset | largest tile px | estimated s (Enhance page) | wall s "
        "| peak GB |"
    )
    print("|---|---|---|---|---|---|")
    start = time.perf_counter()
    with peak_memory() as memory:
        enhance(area, "dip", 4, device, preset=preset)
    print(
        f"| {area.width} x {area.height} | {preset} | {dip.PRESETS[preset].tile} | "
        f"{estimate:.0f} | "
        f"{time.perf_counter() - start:.0f} | "
        f"{memory[0]:.2f} |"
    )


def bench_tiles(device: str) -> None:
    preset = dip.PRESETS[dip.DEFAULT_PRESET]
    print(f"device: {device}, torch threads: {torch.get_num_threads()}, preset: {preset}")
    print("| crop | tiles | wall s | PSNR dB (vs bicubic) | with DC: PSNR dB (vs bicubic) |")
    print("|---|---|---|---|---|")
    [a, b] = scenes_in_file(settings.shared_data_dir() / AUSTRIA)
    for scene in (a, b):
        name = scene.id.split("/")[-1]
        hr = centre_crop(read_area(scene, shape(scene.footprint).bounds), 376)
        lr = downsample(torch.from_numpy(hr.data)[None], kernel_for("gaussian", 4), 4)
        small = Raster(lr[0].numpy(), hr.crs, hr.transform @ Affine.scale(4))
        bicubic, back = psnrs(F.interpolate(lr, scale_factor=4, mode="bicubic"), lr, hr.data)
        print(f"| {name} | bicubic | | {bicubic:.2f} | {back:.2f} ({back - bicubic:+.2f}) |")
        for tile in (small.width, (small.width + 8) // 2 + 1):  # one tile, then 2 x 2
            cfg = dataclasses.replace(preset, tile=tile)
            with patched_preset(dip.DEFAULT_PRESET, cfg):
                start = time.perf_counter()
                out = enhance(small, "dip", 4, device, consistent=False)
                seconds = time.perf_counter() - start
            score, consistent = psnrs(torch.from_numpy(out.data)[None], lr, hr.data)
            tiles = "1" if tile >= small.width else "2 x 2"
            print(
                f"| {name} | {tiles} | {seconds:.0f} | {score:.2f} ({score - bicubic:+.2f}) | "
                f"{consistent:.2f} ({consistent - bicubic:+.2f}) |",
                flush=True,
            )


@contextmanager
def patched_preset(name: str, cfg: dip.DipConfig) -> Iterator[None]:
    old = dip.PRESETS[name]
    dip.PRESETS[name] = cfg
    try:
        yield
    finally:
        dip.PRESETS[name] = old


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("what", choices=("crops", "area", "tiles"))
    parser.add_argument("--presets", default=",".join(dip.PRESETS), help="comma-separated")
    parser.add_argument("--every", type=int, default=25, help="iterations between PSNR checks")
    parser.add_argument("--size", type=int, default=256, help="area side, 10 m px")
    parser.add_argument("--limit", type=int, default=None, help="only the first N crops")
    parser.add_argument("--degradation", default="gaussian", choices=("gaussian", "lanczos"))
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--tile", type=int, default=None, help="area: the largest tile, px")
    args = parser.parse_args()
    if args.what == "crops":
        presets = [p for p in args.presets.split(",") if p]
        bench_crops(presets, args.every, args.device, args.degradation, args.limit)
    elif args.what == "area":
        name = dip.DEFAULT_PRESET
        cfg = dataclasses.replace(dip.PRESETS[name], tile=args.tile or dip.PRESETS[name].tile)
        with patched_preset(name, cfg):
            bench_area(args.size, name, args.device)
    else:
        bench_tiles(args.device)


if __name__ == "__main__":
    main()
