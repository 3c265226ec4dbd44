"""Image quality measures for reflectance images ``(C, H, W)`` against a reference.

- PSNR: peak 1.0 reflectance, over all bands and pixels.
- SSIM (Wang et al. 2004): Gaussian window 11 px, sigma 1.5, data range 1.0, mean over bands.
- SAM: mean spectral angle between per-pixel band vectors, in degrees.
- GMSD (Xue et al. 2014): gradient-magnitude similarity deviation with Prewitt filters on each
  band scaled so that reflectance 0.3 is 255, after the paper's 2 x 2 average downsampling,
  c = 170; mean over bands. Lower is better.
- Grid score: how much of the image's fine detail is a pattern fixed to the x4 pixel grid (the
  "dot texture" a learned upsampler can stamp on every 4 x 4 block). Each band is high-passed
  (image minus its 5 x 5 box mean); the high-pass is averaged over all pixels of the same phase
  (row % 4, col % 4); the RMS of those 16 phase means over the RMS of the high-pass, in percent.
  Real 10 m images and bicubic score 2-3 %. Not a comparison with a reference.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F


def _t(a: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(a, dtype=np.float64))


def psnr(x: np.ndarray, ref: np.ndarray) -> float:
    mse = float(np.mean((x.astype(np.float64) - ref) ** 2))
    return float("inf") if mse == 0 else float(10 * np.log10(1.0 / mse))


def ssim(x: np.ndarray, ref: np.ndarray) -> float:
    g = torch.exp(-((torch.arange(11, dtype=torch.float64) - 5) ** 2) / (2 * 1.5**2))
    g = g / g.sum()
    win = (g[:, None] * g[None, :])[None, None]
    a, b = _t(x)[:, None], _t(ref)[:, None]

    def blur(v: torch.Tensor) -> torch.Tensor:
        return F.conv2d(v, win)

    c1, c2 = 0.01**2, 0.03**2
    ma, mb = blur(a), blur(b)
    va, vb, cov = blur(a * a) - ma**2, blur(b * b) - mb**2, blur(a * b) - ma * mb
    s = ((2 * ma * mb + c1) * (2 * cov + c2)) / ((ma**2 + mb**2 + c1) * (va + vb + c2))
    return float(s.mean())


def sam(x: np.ndarray, ref: np.ndarray) -> float:
    a, b = x.reshape(x.shape[0], -1).astype(np.float64), ref.reshape(ref.shape[0], -1)
    cos = (a * b).sum(0) / (np.linalg.norm(a, axis=0) * np.linalg.norm(b, axis=0) + 1e-12)
    return float(np.degrees(np.arccos(np.clip(cos, -1, 1))).mean())


def gmsd(x: np.ndarray, ref: np.ndarray) -> float:
    px = torch.tensor([[1.0, 0, -1.0]] * 3, dtype=torch.float64) / 3
    kernels = torch.stack([px, px.T])[:, None]

    def grad(v: np.ndarray) -> torch.Tensor:
        t = F.avg_pool2d(_t(v)[:, None] * 255 / 0.3, 2)
        g = F.conv2d(t, kernels)
        return torch.sqrt((g**2).sum(1))

    ga, gb = grad(x), grad(ref)
    c = 170.0
    gms = (2 * ga * gb + c) / (ga**2 + gb**2 + c)
    return float(gms.flatten(1).std(dim=1).mean())


def grid_score(x: np.ndarray, period: int = 4) -> float:
    """Percent of the high-pass energy of ``(C, H, W)`` ``x`` that repeats every ``period``
    pixels (see the module docstring); NaN pixels are left out."""
    t = _t(np.nan_to_num(x))[:, None]
    valid = _t(np.isfinite(x).astype(np.float64))[:, None]
    box = torch.ones(1, 1, 5, 5, dtype=torch.float64) / 25
    high = (t - F.conv2d(t, box, padding=2))[:, 0, 2:-2, 2:-2]
    ok = (F.conv2d(valid, box, padding=2) > 1 - 1e-9)[:, 0, 2:-2, 2:-2]
    means, energy = [], []
    for band, keep in zip(high, ok, strict=True):
        # offset 2 from the crop keeps the phases aligned with the image's own grid
        phase = torch.zeros(period, period, dtype=torch.float64)
        for dy in range(period):
            for dx in range(period):
                sel = band[(dy - 2) % period :: period, (dx - 2) % period :: period]
                m = keep[(dy - 2) % period :: period, (dx - 2) % period :: period]
                phase[dy, dx] = sel[m].mean() if m.any() else 0.0
        means.append(float(phase.pow(2).mean()))
        energy.append(float(band[keep].pow(2).mean()) if keep.any() else 0.0)
    total = float(np.mean(energy))
    return 0.0 if total == 0 else 100 * float(np.sqrt(np.mean(means) / total))


METRICS = {"PSNR": psnr, "SSIM": ssim, "SAM": sam, "GMSD": gmsd}
