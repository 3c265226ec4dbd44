"""How the data-consistency step was chosen: variants of the step after Decrappify, scored on
real use and on a synthetic protocol with each scene's own noise added (docs/decisions.md, "The
consistency step" and "Quieting the grain").

For each scene (the 8 training scenes of ``shared/data/train``, which chose the step; with
``--held-out`` also the demo scene and the Austria file, which did not), a centred crop of
``--crop`` px at 10 m:

- real use (10 m -> 2.5 m, no reference): colour speckle and flat-area luminance noise of each
  variant as ratios to bicubic's (:mod:`sr.training.metrics`), and its departure from the 10 m
  input under the sensor model (:func:`sr.consistency.departure`) as a ratio to bicubic's;
- synthetic, with and without noise: the crop degraded x4 by the sensor model
  (:func:`sr.degrade.downsample`), plus, with noise, Gaussian noise of the crop's own level per
  band (:func:`sr.consistency.noise_sigma`), enhanced back; PSNR over bicubic's, in dB.

Run alone: ``.venv/bin/python -m bench.step_choice [--crop 128] [--held-out]``.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable

import numpy as np
import torch

from bench.real_use import real_scenes
from imagery.raster import Raster
from sr.consistency import (
    QUIET,
    departure,
    keep_colour,
    make_consistent,
    noise_sigma,
    quiet_detail,
)
from sr.degrade import downsample, gaussian_kernel
from sr.enhance import enhance
from sr.training.metrics import colour_speckle, flat_mask, luminance_noise, psnr

Step = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]  # (raw x4, 10 m input) -> result


def _colour(sigma: float | None, quiet: float = 0) -> Step:
    def step(x: torch.Tensor, lr: torch.Tensor) -> torch.Tensor:
        out = x if sigma is None else make_consistent(x, lr, 4, sigma=sigma)
        return quiet_detail(keep_colour(out, lr, 4, [0, 1, 2]), lr, 4, [0, 1, 2], quiet)

    return step


def _default(quiet: float) -> str:
    return " (default)" if quiet == QUIET else ""


#: The variants after Decrappify, by name.
VARIANTS: dict[str, Step] = {
    "nothing": lambda x, lr: x,
    "textbook step": lambda x, lr: make_consistent(x, lr, 4, sigma=0),
    "low-pass 0.5 + colour": _colour(0.5),
    "low-pass 0.7 + colour": _colour(0.7),
    "low-pass 1.0 + colour": _colour(1.0),
    "colour only": _colour(None),
    **{
        f"low-pass 0.7 + colour + quiet {q}{_default(q)}": _colour(0.7, q)
        for q in (0.5, 1.0, 1.25, 1.5)
    },
}


def outputs(lr: Raster) -> dict[str, np.ndarray]:
    """Bicubic and every variant of ``lr`` x4."""
    low = torch.from_numpy(np.nan_to_num(lr.data))[None]
    raw = torch.from_numpy(enhance(lr, "decrappify", 4, "cpu", consistent=False).data)[None]
    out = {"bicubic": enhance(lr, "bicubic", 4, "cpu").data}
    for name, step in VARIANTS.items():
        out[name] = step(raw, low)[0].clamp_min(0).numpy()
    return out


def gains(hr: Raster, noisy: bool) -> dict[str, float]:
    """dB over bicubic of each variant, ``hr`` degraded x4 (with its own noise when ``noisy``)."""
    t = torch.from_numpy(np.nan_to_num(hr.data))[None]
    low = downsample(t, gaussian_kernel(4), 4)
    if noisy:
        sigma = noise_sigma(t).view(1, -1, 1, 1)
        noise = torch.randn(low.shape, generator=torch.Generator().manual_seed(0))
        low = (low + sigma * noise).clamp_min(0).float()
    lr = Raster(low[0].numpy(), hr.crs, hr.transform, hr.bands)  # the grid is not used
    crop = (slice(None), slice(8, -8), slice(8, -8))
    scores = {k: psnr(v[crop], hr.data[crop]) for k, v in outputs(lr).items()}
    return {k: v - scores["bicubic"] for k, v in scores.items() if k != "bicubic"}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--crop", type=int, default=128)
    ap.add_argument("--held-out", action="store_true", help="also the demo scene and Austria")
    args = ap.parse_args()
    torch.set_num_threads(os.cpu_count() or 1)
    rows: dict[str, list[list[float]]] = {k: [] for k in VARIANTS}
    names: list[str] = []
    for name, _, hr in real_scenes(args.crop):
        training = not ("demo" in name or "austria" in name)
        if not training and not args.held_out:
            continue
        names.append(name + ("" if training else " (held out)"))
        out = outputs(hr)
        mask = flat_mask(out["bicubic"])
        base_s, base_n = colour_speckle(out["bicubic"]), luminance_noise(out["bicubic"], mask)
        noisy, clean = gains(hr, True), gains(hr, False)
        low = torch.from_numpy(np.nan_to_num(hr.data))[None]
        base_d = departure(torch.from_numpy(out["bicubic"])[None], low, 4)
        for k in VARIANTS:
            speckle, noise = colour_speckle(out[k]) / base_s, luminance_noise(out[k], mask) / base_n
            away = departure(torch.from_numpy(out[k])[None], low, 4) / base_d
            rows[k].append([speckle, noise, noisy[k], clean[k], away, float(training)])
    print(
        f"{len(names)} scenes, {args.crop} px at 10 m, x4, {os.cpu_count()} CPU(s): "
        + ", ".join(names)
    )
    for group, pick in (("training scenes", 1.0), ("held out", 0.0)):
        if not any(r[5] == pick for v in rows.values() for r in v):
            continue
        print(f"\nDecrappify, then ({group}; mean over scenes)\n")
        print(
            "| step | colour speckle / bicubic (max) | flat-area luminance noise / bicubic "
            "| dB over bicubic, real noise added | dB, no noise | departure / bicubic's |"
        )
        print("|---|---|---|---|---|---|")
        for k, v in rows.items():
            a = np.array([r for r in v if r[5] == pick])
            print(
                f"| {k} | {a[:, 0].mean():.2f} ({a[:, 0].max():.2f}) | {a[:, 1].mean():.2f} | "
                f"{a[:, 2].mean():+.2f} | {a[:, 3].mean():+.2f} | {a[:, 4].mean():.2f} |"
            )


if __name__ == "__main__":
    main()
