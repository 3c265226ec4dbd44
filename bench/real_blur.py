"""The real blur of Sentinel-2's 10 m bands, measured on straight edges of real scenes.

Slanted-edge method (ISO 12233's edge-spread function, as in on-orbit MTF work). Candidates: local
maxima, 10 px apart, of the gradient where the structure tensor has one direction. Around each, a
rectangle of 21 px along the edge by ``2 * half_width + 1`` across is fitted by least squares with
a Gaussian-blurred step, a constant level each side: ``a + b * Phi((u - kappa t^2) / sigma)``, u
and t each pixel centre's distance across and along the edge, whose sub-pixel position, angle and
slight bend kappa are fitted too: the erf fit of the oversampled edge-spread function. sigma is
the whole line-spread function (optics, detector, motion, L1C resampling), pixels taken as point
samples as in :func:`sr.degrade.downsample` (sigma 2 px of 2.5 m = 5 m). A Gaussian's MTF(f) is
exp(-2 pi^2 sigma^2 f^2), f = 0.5 cycle/px at Nyquist. Kept: step >= 15 x the residual RMS, sigma
known to 10 %, a bend under 0.25 px, the same step on both halves within 30 %, a monotone profile
(0.5 px bins), every quarter pixel sampled across the edge; a kept edge masks its rectangle.

Scenes: ``shared/data/train/*`` (Patagonia's "B08" is B07, 20 m: left out), the held-out Austria
file (both dates) and the demo scene when built; native 10 m pixels, read with
:func:`imagery.geotiff.read_bands`. Real edges are not perfect steps: each sigma is an upper bound
of the sensor's; the 10th percentile and the edges of twice the least contrast show the sharpest.

Run alone: ``.venv/bin/python -m bench.real_blur [--only NAME_PART] [--half-width 3]``.
"""

from __future__ import annotations

import argparse
import math
import time
from collections import Counter
from dataclasses import dataclass, replace

import numpy as np
import rasterio
from scipy import ndimage, optimize, special

import settings
from imagery.geotiff import read_bands
from imagery.raster import BANDS

PIXEL_M, HR_M = 10.0, 2.5  # the scenes' pixel and the enhanced pixel, m
HALF_LENGTH = 10  # the fitted rectangle's half length along the edge, px
MIN_CNR = 15.0  # least step / residual RMS
ASSUMED_SIGMA_M = 5.0  # sr.degrade's sigma, 2 px of 2.5 m
#: MTF at Nyquist of the 10 m bands as SupReME (Lanaras et al. 2017) and S2Sharp (Ulfarsson et
#: al. 2019) use it, after ESA's Sentinel-2 image-quality figures.
PUBLISHED_MTF = {"B02": 0.26, "B03": 0.28, "B04": 0.24, "B08": 0.26}
ORDER = ("B02", "B03", "B04", "B08")  # the tables' band order
LEVELS = {"s2_austria_T33UUP_2021_2dates": "L2A"}  # untagged files (shared/data/README.md)
LEFT_OUT = {("s2_patagonia_T19GFG", "B08"): "B07 (20 m), left out"}


@dataclass(frozen=True)
class Edge:
    """A kept edge: centre row and column (px), normal angle (rad, x right, y down), sigma (px)
    and contrast (step / residual RMS)."""

    row: float
    col: float
    angle: float
    sigma: float
    cnr: float


def mtf_at_nyquist(sigma_px: float) -> float:
    """Modulation transfer at 0.5 cycle per pixel of a Gaussian of ``sigma_px`` pixels."""
    return math.exp(-2 * math.pi**2 * sigma_px**2 * 0.25)


def sigma_from_mtf(mtf: float) -> float:
    """The sigma in pixels of the Gaussian whose transfer at Nyquist is ``mtf``."""
    return math.sqrt(-2 * math.log(mtf)) / math.pi


def _coords(p: np.ndarray, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    c, s = math.cos(p[2]), math.sin(p[2])
    return x * c + y * s - p[3], -x * s + y * c  # across (from the edge), along


def edge_model(p: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The blurred step ``p = (a, b, angle, offset, sigma, kappa)`` at pixel centres ``(x, y)``
    (px from the rectangle's centre)."""
    u, t = _coords(p, x, y)
    return np.asarray(p[0] + p[1] * special.ndtr((u - p[5] * t**2) / p[4]))


def edge_jacobian(p: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``(N, 6)`` derivatives of :func:`edge_model` by its parameters."""
    u, t = _coords(p, x, y)
    z = (u - p[5] * t**2) / p[4]
    g = p[1] * np.exp(-0.5 * z**2) / (math.sqrt(2 * math.pi) * p[4])
    turn = g * (t + 2 * p[5] * t * (u + p[3]))
    return np.stack([np.ones_like(z), special.ndtr(z), turn, -g, -g * z, -g * t**2], 1)


def fit_edge(patch: np.ndarray, angle: float, half_width: int = 3) -> Edge | str:
    """Fit the blurred step to ``patch`` (2-D reflectance, NaN-free, centred on a candidate whose
    normal is about ``angle``) over the rectangle of ``half_width`` px across the edge.

    Returns:
        The edge (row and column from the patch centre), or the check it failed (module
        docstring): "fit", "contrast", "precision", "shape", "halves", "monotone" or "phase".
    """
    h, w = patch.shape
    y, x = np.mgrid[:h, :w].astype(np.float64)
    x, y = x - (w - 1) / 2, y - (h - 1) / 2
    u, t = _coords(np.array([0, 0, angle, 0, 1, 0]), x, y)
    inside = (np.abs(u) <= half_width + 0.5) & (np.abs(t) <= HALF_LENGTH)
    x, y, v, u = x[inside], y[inside], patch[inside].astype(np.float64), u[inside]
    low, high = v[u < -1.5].mean(), v[u > 1.5].mean()
    fit = optimize.least_squares(
        lambda p: edge_model(p, x, y) - v,
        np.array([low, high - low, angle, 0.0, 0.6, 0.0]),
        jac=lambda p: edge_jacobian(p, x, y),
        method="lm",
    )
    b, offset, sigma, kappa = fit.x[1], fit.x[3], abs(fit.x[4]), fit.x[5]
    rms = float(np.sqrt(np.mean(fit.fun**2)))
    normal = fit.jac.T @ fit.jac
    if not fit.success or np.linalg.cond(normal) > 1e12 or not 0.1 < sigma < 2.5:
        return "fit"
    if abs(b) < MIN_CNR * rms:
        return "contrast"
    if np.sqrt(max(np.linalg.inv(normal)[4, 4], 0.0) * len(v) / (len(v) - 6)) * rms > 0.1 * sigma:
        return "precision"
    if abs(kappa) * HALF_LENGTH**2 > 0.25 or abs(offset) > 1.0:
        return "shape"
    u, t = _coords(fit.x, x, y)
    u -= kappa * t**2
    steps = []  # one edge all along: the step of each half, levels refitted
    for half in (t < 0, t > 0):
        design = np.stack([np.ones(half.sum()), special.ndtr(u[half] / sigma)], 1)
        steps.append(np.linalg.lstsq(design, v[half], rcond=None)[0][1] * np.sign(b))
    if min(steps) < 0.7 * max(steps):
        return "halves"
    bins, index = np.unique(np.floor(u / 0.5), return_inverse=True)
    counts = np.bincount(index)
    means = (np.bincount(index, v) / counts * np.sign(b))[counts >= 3]
    errs = rms / np.sqrt(counts[counts >= 3])  # each bin may step back by 2 standard errors
    if np.any(np.diff(means) + 2 * np.hypot(errs[1:], errs[:-1]) < 0):
        return "monotone"
    if len(np.unique(np.floor((u[np.abs(u) < 1.5] % 1) * 4))) < 4:
        return "phase"
    c, s = math.cos(fit.x[2]), math.sin(fit.x[2])
    return Edge(offset * s, offset * c, float(fit.x[2]), float(sigma), abs(b) / rms)


def candidates(band: np.ndarray, count: int) -> list[tuple[int, int, float]]:
    """Up to ``count`` (row, col, normal angle) of ``band`` (2-D, NaN for nodata), strongest
    first: local maxima, 10 px apart, of the gradient (Gaussian derivative, sigma 1 px) where the
    structure tensor (window sigma 3 px) has a coherence above 0.6."""
    filled = np.where(np.isnan(band), np.nanmean(band), band).astype(np.float64)
    gx = ndimage.gaussian_filter(filled, 1.0, order=(0, 1))
    gy = ndimage.gaussian_filter(filled, 1.0, order=(1, 0))
    jxx, jyy, jxy = (ndimage.gaussian_filter(g, 3.0) for g in (gx * gx, gy * gy, gx * gy))
    coherence = np.sqrt((jxx - jyy) ** 2 + 4 * jxy**2) / np.maximum(jxx + jyy, 1e-20)
    score = np.where(coherence > 0.6, np.hypot(gx, gy), 0.0)
    score[ndimage.binary_dilation(np.isnan(band), iterations=HALF_LENGTH + 2)] = 0
    rows, cols = np.nonzero((score == ndimage.maximum_filter(score, size=11)) & (score > 0))
    angle = 0.5 * np.arctan2(2 * jxy, jxx - jyy)
    order = np.argsort(-score[rows, cols])[:count]
    return [(int(rows[i]), int(cols[i]), float(angle[rows[i], cols[i]])) for i in order]


def find_edges(
    band: np.ndarray, count: int, half_width: int = 3
) -> tuple[list[Edge], Counter[str]]:
    """The edges kept among ``count`` candidates of ``band`` (2-D reflectance, NaN for nodata),
    rows and columns in its pixels, and how many candidates failed each check."""
    r, n = HALF_LENGTH + 1, HALF_LENGTH
    used = np.zeros(band.shape, bool)
    found, failed = [], Counter[str]()
    for row, col, angle in candidates(band, count):
        if used[row, col] or not (r <= row < band.shape[0] - r and r <= col < band.shape[1] - r):
            continue
        patch = band[row - r : row + r + 1, col - r : col + r + 1]
        edge = "nodata" if np.isnan(patch).any() else fit_edge(patch, angle, half_width)
        if isinstance(edge, str):
            failed[edge] += 1
            continue
        found.append(replace(edge, row=row + edge.row, col=col + edge.col))
        used[row - n : row + n + 1, col - n : col + n + 1] = True
    return found, failed


def scenes(only: str) -> list[tuple[str, str, np.ndarray]]:
    """(name, processing level, ``(4, H, W)`` reflectance, bands B04, B03, B02, B08) of every
    scene whose file name contains ``only``; the Austria file gives two (dates A and B)."""
    shared = settings.shared_data_dir()
    paths = sorted((shared / "train").glob("*.tif"))
    paths += [shared / "s2_austria_T33UUP_2021_2dates.tif", settings.DEMO_SCENE]
    found = []
    for path in [p for p in paths if only in p.name and p.exists()]:
        data, _, _ = read_bands(path)  # 4 x N bands in the app's order (imagery.local)
        with rasterio.open(path) as ds:
            level = ds.tags().get("PROCESSING_LEVEL") or LEVELS.get(path.stem, "?")
        groups = len(data) // len(BANDS)
        for g in range(groups):
            name = path.stem + (f" date {'AB'[g]}" if groups > 1 else "")
            found.append((name, level, data[g * len(BANDS) : (g + 1) * len(BANDS)]))
    return found


def cell(sigmas_m: list[float]) -> str:
    """ "median (quartiles) n=count" of sigmas in metres, or a dash."""
    if not sigmas_m:
        return "-"
    q1, q2, q3 = np.percentile(sigmas_m, [25, 50, 75])
    return f"{q2:.1f} ({q1:.1f}-{q3:.1f}) n={len(sigmas_m)}"


def summary_row(band: str, m: np.ndarray, cnr: np.ndarray, ew: np.ndarray) -> str:
    """A row of the summary table: ``m`` the sigmas in metres, ``cnr`` their contrasts, ``ew``
    whether each edge's normal is nearer east-west than north-south."""
    q10, q1, q2, q3 = np.percentile(m, [10, 25, 50, 75])
    boot = np.median(np.random.default_rng(0).choice(m, (2000, len(m))), axis=1)
    lo, hi = np.percentile(boot, [2.5, 97.5])
    sharp = m[cnr >= 2 * MIN_CNR]
    sharp_cell = f"{np.median(sharp):.1f} (n={len(sharp)})" if len(sharp) else "-"
    sides = " / ".join(f"{np.median(m[k]):.1f}" if k.any() else "-" for k in (ew, ~ew))
    mtf = PUBLISHED_MTF.get(band)
    published = f"{mtf:.2f} ({sigma_from_mtf(mtf) * PIXEL_M:.1f})" if mtf else "-"
    return (
        f"| {band} | {len(m)} | {q2:.2f} | {q2 / HR_M:.2f} | {q1:.1f}-{q3:.1f} | {q10:.1f} | "
        f"{lo:.2f}-{hi:.2f} | {sharp_cell} | {sides} | {mtf_at_nyquist(q2 / PIXEL_M):.2f} | "
        f"{published} |"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", default="", help="only the scenes whose file name contains this")
    ap.add_argument("--half-width", type=int, default=3, help="px fitted each side of the edge")
    ap.add_argument("--density", type=float, default=2.5, help="candidates per 1000 px")
    args = ap.parse_args()
    start = time.perf_counter()
    edges: list[tuple[str, str, str, Edge]] = []  # scene, level, band, edge
    failed = Counter[str]()
    print(f"Edges of 21 x {2 * args.half_width + 1} px, step >= {MIN_CNR:g} x the residual RMS;")
    print("sigma in m: median (quartiles) n=edges\n")
    print("| scene | level | " + " | ".join(ORDER) + " |\n|---|---|" + "---|" * len(ORDER))
    for name, level, data in scenes(args.only):
        cells = []
        for band in ORDER:
            if (name, band) in LEFT_OUT:
                cells.append(LEFT_OUT[name, band])
                continue
            image = data[BANDS.index(band)]
            count = min(int(image.size * args.density / 1000), 4000)
            found, why = find_edges(image, count, args.half_width)
            failed += why
            edges += [(name, level, band, e) for e in found]
            cells.append(cell([e.sigma * PIXEL_M for e in found]))
        print(f"| {name} | {level} | " + " | ".join(cells) + " |")
    print(f"\nCandidates failing each check: {dict(failed.most_common())}; kept {len(edges)}\n")
    print(
        "| band | edges | median sigma m | in 2.5 m px | quartiles m | 10th pct m | 95 % CI of "
        f"median m | median m, step >= {2 * MIN_CNR:g} x RMS | normal E-W / N-S m | "
        "MTF at Nyquist | published MTF (sigma m) |\n" + "|---" * 11 + "|"
    )
    for band in [*ORDER, "all"]:
        chosen = [e for _, _, b, e in edges if band in (b, "all")]
        if chosen:
            m, cnr = (np.array([getattr(e, k) for e in chosen]) for k in ("sigma", "cnr"))
            ew = np.array([abs(math.cos(e.angle)) > abs(math.sin(e.angle)) for e in chosen])
            print(summary_row(band, m * PIXEL_M, cnr, ew))
    per_scene = {n: [e.sigma * PIXEL_M for s, _, _, e in edges if s == n] for n, *_ in edges}
    by_level = {lv: [e.sigma * PIXEL_M for _, x, _, e in edges if x == lv] for _, lv, *_ in edges}
    print(
        "\nScene medians, all bands (m): "
        + ", ".join(f"{np.median(v):.1f}" for v in sorted(per_scene.values(), key=np.median))
        + "; by level: "
        + "; ".join(f"{lv} {cell(v)}" for lv, v in sorted(by_level.items()))
    )
    print(
        f"Assumed (sr.degrade): sigma {ASSUMED_SIGMA_M:g} m = {ASSUMED_SIGMA_M / HR_M:g} px of "
        f"2.5 m, MTF at Nyquist {mtf_at_nyquist(ASSUMED_SIGMA_M / PIXEL_M):.2f}. "
        f"Run time {time.perf_counter() - start:.0f} s"
    )


if __name__ == "__main__":
    main()
