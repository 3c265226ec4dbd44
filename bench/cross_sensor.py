"""Cross-sensor fidelity: Sentinel-2 enhanced x4 against a real sharper image of the same ground.

``shared/data/xsens/s2naip_pair{1,2}``: the clear Sentinel-2 true-colour frames (8-bit TCI,
reflectance = value x 0.3 / 255; frames t3-t5 of pair 1 and t4 of pair 2 are cloudy or hazy and
left out), each x4 against the NAIP image of the same place (8-bit, scaled to 0-1). These files
have 3 bands (R, G, B) and no CRS, which ``imagery`` refuses for the app: they are read with
rasterio directly and given a stand-in CRS (Web Mercator, whose pixels they are; nothing here
depends on it). Decrappify refines them with the mean of the three bands standing in for near
infrared.

1. **Pipelines** (those of :mod:`bench.real_use`), scored by
   :func:`sr.training.metrics.cross_sensor`: NAIP registered onto bicubic's output (one shift a
   frame) and harmonised to each output; PSNR, PSNR at Sentinel-2's resolution, the correlation
   of the fine detail, opensr-test's correctness classes of the pixels that change (improved,
   hallucinated; the rest is omission, bicubic's detail), and on how many frames the PSNR is at
   least bicubic's.
2. **Controls**: no network, only interpolation or a filter of bicubic (bilinear, Lanczos-3,
   bicubic blurred by a Gaussian of 1 output px, bicubic with an unsharp mask of amount 1 and
   sigma 2 output px), scored the same way: what the measure rewards on these frames, apart
   from any method.
3. With ``--opensr-test`` (needs ``make bench-setup``): ESA's opensr-test 1.3.3 itself
   (``Metrics(correctness_distance="nd")``) on (Sentinel-2 frame, output, NAIP). opensr-test
   expects a reference already in the low-resolution image's radiometry and on its grid, as its
   datasets are: NAIP is registered onto bicubic and harmonised to it once a frame (gain and
   offset a band, fitted at Sentinel-2's resolution), and that one reference scores every
   output of the frame.

Run alone: ``.venv/bin/python -m bench.cross_sensor [--with-dip] [--opensr-test]``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from importlib.metadata import version
from pathlib import Path

import numpy as np
import rasterio
import torch
import torch.nn.functional as F
from affine import Affine
from PIL import Image
from scipy import ndimage

import settings
from bench.real_use import (
    STAND_IN,
    TCI_REFLECTANCE,
    Run,
    Timer,
    enhanced,
    pipeline_parser,
    start,
)
from imagery.raster import Raster
from sr.cache import ResultCache
from sr.errors import EnhanceError
from sr.training.metrics import (
    S2_SIGMA,
    CrossSensor,
    cross_sensor,
    harmonise,
    register_reference,
    shift_image,
    shifted_interior,
)

#: Clear frames of each cross-sensor pair (the others are cloudy or hazy).
CLEAR = {"s2naip_pair1": ("t0", "t1", "t2"), "s2naip_pair2": ("t0", "t1", "t2", "t3", "t5")}
#: Frames the data README calls clear that look hazy (t3) or have a cloud in a corner (t5).
DOUBTFUL = {("s2naip_pair2", "t3"), ("s2naip_pair2", "t5")}
SCALE = 4
#: px from the edge left out of opensr-test's scores, as in :func:`cross_sensor`'s default.
BORDER = 8


def read_rgb(path: Path) -> np.ndarray:
    """``(3, H, W)`` float64 values of an 8-bit RGB file without CRS (rasterio directly: the
    ``imagery`` readers refuse files without one)."""
    with rasterio.open(path) as ds:
        return np.asarray(ds.read().astype(np.float64))


def frames() -> Iterator[tuple[str, str, Raster, np.ndarray]]:
    """(pair, frame, the Sentinel-2 frame as reflectance, NAIP in 0-1) of every clear frame."""
    xsens = settings.shared_data_dir() / "xsens"
    for pair, names in CLEAR.items():
        hr = read_rgb(xsens / pair / "naip_rgb_ref.tif") / 255
        for frame in names:
            tci = read_rgb(xsens / pair / f"s2_tci_{frame}_rgb.tif")
            data = (tci * TCI_REFLECTANCE).astype(np.float32)
            transform = Affine(9.555, 0, 0, 0, -9.555, 0)
            yield pair, frame, Raster(data, STAND_IN, transform, ("B04", "B03", "B02")), hr


def _resized(lr: np.ndarray, mode: str) -> np.ndarray:
    if mode == "lanczos":
        return np.stack(
            [
                np.asarray(
                    Image.fromarray(band.astype(np.float32)).resize(
                        (band.shape[1] * SCALE, band.shape[0] * SCALE), Image.Resampling.LANCZOS
                    )
                )
                for band in lr
            ]
        ).astype(np.float64)
    x = torch.from_numpy(lr.astype(np.float64))[None]
    return np.asarray(F.interpolate(x, scale_factor=SCALE, mode=mode, align_corners=False)[0])


#: The controls: (name, the output from the frame and its bicubic).
CONTROLS: list[tuple[str, Callable[[np.ndarray, np.ndarray], np.ndarray]]] = [
    ("control: bilinear", lambda lr, bic: _resized(lr, "bilinear")),
    ("control: Lanczos-3", lambda lr, bic: _resized(lr, "lanczos")),
    ("control: bicubic blurred (sigma 1 px)", lambda lr, bic: blur(bic, 1.0)),
    ("control: bicubic unsharp-masked (1 x, sigma 2 px)", lambda lr, bic: 2 * bic - blur(bic, 2)),
]


def blur(x: np.ndarray, sigma: float) -> np.ndarray:
    """Each band of ``(C, H, W)`` ``x`` blurred by a Gaussian of ``sigma`` px."""
    return np.asarray(ndimage.gaussian_filter(x, (0, sigma, sigma), mode="reflect"))


def _values(score: CrossSensor) -> tuple[float, ...]:
    return (
        score.psnr,
        score.psnr_s2,
        score.detail,
        100 * score.improvement,
        100 * score.hallucination,
    )


def _outputs(
    lr: Raster,
    todo: list[Run],
    device: str,
    preset: str,
    cache: ResultCache,
    timer: Timer,
    refused: dict[str, str],
) -> dict[str, np.ndarray]:
    """Each pipeline's output on ``lr`` by label (bicubic first, as :func:`runs` orders them);
    the pipelines that refuse it go to ``refused``, with why."""
    outputs: dict[str, np.ndarray] = {}
    for run in todo:
        try:
            outputs[run.label] = enhanced(lr, run, device, preset, cache, timer)
        except EnhanceError as err:
            refused[run.label] = str(err)
    return outputs


def scores(
    todo: list[Run], device: str, preset: str, cache: ResultCache, timer: Timer
) -> tuple[list[str], dict[str, list[tuple[str, str, tuple[float, ...]]]], dict[str, str]]:
    """One row per frame and pipeline; every score by label as (pair, frame, values); the
    pipelines that refused, with why. The reference is registered once per frame, onto
    bicubic's output, and that shift is used for every output of the frame: all keep the
    input's geometry, and the same pixels are then compared."""
    found: dict[str, list[tuple[str, str, tuple[float, ...]]]] = defaultdict(list)
    refused: dict[str, str] = {}
    lines = [
        "Cross-sensor: Sentinel-2 TCI x4 against NAIP, registered (the shift that moves NAIP "
        "onto bicubic's output) and harmonised to each output; PSNR peak 1.0 reflectance; "
        "at S2 res: both blurred by sigma 2 output px; detail r: correlation of the high-pass; "
        "improved / hallucinated: opensr-test's correctness classes, % of the changed pixels",
        "",
        "| pair | frame | pipeline | shift dy, dx (px) | PSNR dB | PSNR dB at S2 res | detail r "
        "| improved % | hallucinated % |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for pair, frame, lr, hr in frames():
        outputs = _outputs(lr, todo, device, preset, cache, timer, refused)
        bicubic = outputs["bicubic"]
        shift = register_reference(bicubic, hr)
        for name, control in CONTROLS:
            outputs[name] = control(lr.data.astype(np.float64), bicubic.astype(np.float64))
        for label, out in outputs.items():
            values = _values(cross_sensor(out, hr, shift=shift, baseline=bicubic))
            found[label].append((pair, frame, values))
            lines.append(
                f"| {pair[-5:]} | {frame} | {label} | {shift[0]:+.2f}, {shift[1]:+.2f} | "
                f"{values[0]:.2f} | {values[1]:.2f} | {values[2]:.3f} | "
                f"{values[3]:.0f} | {values[4]:.0f} |"
            )
    return lines, found, refused


def summary(
    labels: list[str],
    found: dict[str, list[tuple[str, str, tuple[float, ...]]]],
    refused: dict[str, str],
) -> list[str]:
    """Means over the frames (all clear ones, and those clear by eye), and on how many frames
    each output's PSNR is at least bicubic's."""
    n_all = sum(len(f) for f in CLEAR.values())
    n_clear = n_all - len(DOUBTFUL)
    lines = [
        f"Cross-sensor, mean over the {n_all} frames the data README calls clear, and over the "
        f"{n_clear} of them clear by eye (pair 2 t3 looks hazy, t5 has a cloud in a corner); "
        "frames >= bicubic: on how many frames the PSNR is at least bicubic's",
        "",
        f"| output | PSNR dB | PSNR dB at S2 res | detail r | improved % | hallucinated % "
        f"| frames >= bicubic | PSNR dB ({n_clear}) | at S2 res ({n_clear}) "
        f"| detail r ({n_clear}) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    formats = ("{:.2f}", "{:.2f}", "{:.3f}", "{:.0f}", "{:.0f}")
    base = [v[0] for *_, v in found["bicubic"]]
    for label in labels:
        if label in refused:
            lines.append(f"| {label} | refused (below) | | | | | | | | |")
            continue
        rows = found[label]
        every = np.mean([v for *_, v in rows], axis=0)
        clear = np.mean([v for p, f, v in rows if (p, f) not in DOUBTFUL], axis=0)
        wins = sum(v[0] >= b - 1e-9 for (*_, v), b in zip(rows, base, strict=True))
        cells = [f.format(v) for f, v in zip(formats, every, strict=True)]
        cells.append(f"{wins} of {len(rows)}")
        cells += [f.format(v) for f, v in zip(formats[:3], clear[:3], strict=True)]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    if refused:
        lines += ["", *sorted({f"- {k}: {v}" for k, v in refused.items()})]
    lines.append("")
    return lines


def opensr_table(
    todo: list[Run], device: str, preset: str, cache: ResultCache, timer: Timer
) -> list[str]:
    """opensr-test's own metrics, means over the clear frames (module docstring, 3)."""
    import opensr_test

    metrics = opensr_test.Metrics(device="cpu", correctness_distance="nd", border_mask=BORDER)
    columns = ("im_metric", "ha_metric", "om_metric", "synthesis", "reflectance")
    found: dict[str, list[list[float]]] = defaultdict(list)
    for _, _, lr, hr in frames():
        outputs = _outputs(lr, todo, device, preset, cache, timer, {})
        bicubic = outputs["bicubic"]
        shift = register_reference(bicubic, hr)
        keep = shifted_interior(bicubic.shape[1:], BORDER, shift)
        reference = torch.from_numpy(harmonise(shift_image(hr, shift), bicubic, keep)).float()
        for label, out in outputs.items():
            score = metrics.compute(
                lr=torch.from_numpy(lr.data), sr=torch.from_numpy(np.nan_to_num(out)), hr=reference
            )
            found[label].append([float(score[c]) for c in columns])
    lines = [
        f"opensr-test {version('opensr-test')} on the same frames, NAIP registered and "
        "harmonised to bicubic once a frame "
        f"(S2 resolution, sigma {S2_SIGMA} px); improvement and hallucination: shares (0-1), "
        "synthesis and reflectance: opensr-test's L1 distances",
        "",
        "| pipeline | improvement | hallucination | omission | synthesis | reflectance |",
        "|---|---|---|---|---|---|",
    ]
    for label, rows in found.items():
        means = np.mean(rows, axis=0)
        cells = " | ".join(f"{v:.3f}" if i < 3 else f"{v:.4f}" for i, v in enumerate(means))
        lines.append(f"| {label} | {cells} |")
    lines.append("")
    return lines


def main() -> None:
    parser = pipeline_parser(__doc__)
    parser.add_argument("--opensr-test", action="store_true", help="also opensr-test's metrics")
    args = parser.parse_args()
    cache, todo, timer = start(args)
    lines, found, refused = scores(todo, args.device, args.preset, cache, timer)
    labels = [run.label for run in todo] + [name for name, _ in CONTROLS]
    print("\n".join(lines + [""] + summary(labels, found, refused)))
    if args.opensr_test:
        print("\n".join(opensr_table(todo, args.device, args.preset, cache, timer)))


if __name__ == "__main__":
    main()
