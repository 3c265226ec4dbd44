"""Image quality measures for reflectance images ``(C, H, W)`` against a reference.

- PSNR: peak 1.0 reflectance, over all bands and pixels.
- SSIM (Wang et al. 2004): Gaussian window 11 px, sigma 1.5, data range 1.0, mean over bands.
- SAM: mean spectral angle between per-pixel band vectors, in degrees.
- GMSD (Xue et al. 2014): gradient-magnitude similarity deviation with Prewitt filters on each
  band scaled so that reflectance 0.3 is 255, after the paper's 2 x 2 average downsampling,
  c = 170; mean over bands. Lower is better.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F


def _t(a: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(a, dtype=np.float64))


def psnr(x: np.ndarray, ref: np.ndarray) -> float:
    mse = float(np.mean((x.astype(np.float64) - ref) ** 2))
    return float("inf") if mse == 0 else 10 * np.log10(1.0 / mse)


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


METRICS = {"PSNR": psnr, "SSIM": ssim, "SAM": sam, "GMSD": gmsd}
