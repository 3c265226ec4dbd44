"""Deep Image Prior super-resolution (Ulyanov, Vedaldi, Lempitsky, "Deep Image Prior", CVPR 2018).

An untrained skip network maps a fixed noise tensor (32 channels) to the image. It is fitted so
that its output, degraded by a kernel (DIP's Lanczos-2, or the sensor-like Gaussian of
:mod:`sr.degrade`) and decimated, matches the low-resolution input (MSE); Adam, the input noise
perturbed by ``reg_noise`` x a fresh normal draw at each step. All bands are fitted jointly.
Reflectance is divided by ``ceiling`` (the 99.9th percentile x 1.25) so that the sigmoid output
covers it. The result is the network's output for the clean noise input (no perturbation),
0.2-0.7 dB better than the perturbed one; the previews are the same.

With ``residual`` the network's output is a correction added to the bicubic upsampling of the
input (its last convolution starts at zero, without the sigmoid): the fit starts from bicubic
instead of from noise, and spends its iterations on what bicubic misses. On the 128 px crops of
``bench/dip_speed.py`` this took a 16-channel network from +0.25..+0.40 dB over bicubic after
1000 iterations to +1.1..+1.3 dB; wider networks (32, 64 channels) did worse in the same
iterations. The untrained network, fitted to this one image, is still the only prior.

Presets (measured by ``bench/dip_speed.py``; docs/methods.md has the table, docs/benchmarks.md
the levers tried):
- ``published``: exactly the paper's x4 set-up: 128 channels, Lanczos-2 loss, 2000 iterations
  at 0.01, noise 0.03, no early stop. The reference: about 0.25 s an iteration for a 128 px
  output on 2 CPU cores.
- ``fast`` (the default): residual; 16 channels; the network works at half the output size and
  a bilinear x2 follows its last 1 x 1 convolution (a quarter of the pixels for the
  convolutions); the sensor's Gaussian (sigma 2 output pixels, :mod:`sr.degrade`) in the loss
  instead of Lanczos-2; 1000 iterations.
- ``quality``: the same with 2000 iterations (0.0-0.25 dB more).

Stopping before the network learns the noise: the fixed iteration count is the stopping rule.
A plateau rule on the loss (stop after 3 windows of 50 iterations improving it by under 1 %)
stopped fits at 400-1000 iterations while the PSNR against the real 10 m image was still rising
up to 2000 (0.3-0.7 dB left on an Austria crop), and a discrepancy rule (stop at the noise
variance estimated from the image) counted fine texture as noise and stopped at 500 iterations,
1.2 dB below bicubic; both were dropped.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
import torch
import torch.nn.functional as F

from sr.degrade import downsample, kernel_for
from sr.models.skip import SkipNet


@dataclass(frozen=True)
class DipConfig:
    """Settings of one fit (defaults: the published x4 super-resolution set-up)."""

    channels: int = 128  # network width at every scale
    scales: int = 5
    skip_channels: int = 4
    input_channels: int = 32
    iterations: int = 2000
    lr: float = 0.01
    reg_noise: float = 0.03
    upsample: int = 1  # the network works at 1 / upsample of the output size, then upsamples
    kernel: str = "lanczos"  # the degradation in the loss (a kind of :func:`sr.degrade.kernel_for`)
    residual: bool = False  # the network fits a correction to the bicubic upsampling of the input
    preview_every: int = 100
    seed: int = 0
    tile: int = 160  # the largest input side fitted at once; larger areas are tiled


#: Described in the module's docstring; measured by ``bench/dip_speed.py``.
PRESETS: dict[str, DipConfig] = {
    "published": DipConfig(),
    "fast": DipConfig(channels=16, upsample=2, kernel="gaussian", residual=True, iterations=1000),
    "quality": DipConfig(channels=16, upsample=2, kernel="gaussian", residual=True),
}
DEFAULT_PRESET = "fast"


@dataclass(frozen=True)
class DipStep:
    """What a fit reports: iteration, low-resolution MSE and, every so often, a preview."""

    iteration: int
    total: int
    loss: float
    preview: np.ndarray | None  # (C, H, W) reflectance: the result if the fit stopped here


@dataclass(frozen=True)
class DipResult:
    image: torch.Tensor  # (1, C, sH, sW) reflectance
    iterations: int
    losses: list[float]


def fit_side(side: int, cfg: DipConfig, scale: int) -> int:
    """The input side a fit needs for ``side`` px (``side`` rounded up so that the network's
    size, ``side * scale / cfg.upsample``, halves ``cfg.scales`` times); the pipeline pads."""
    multiple = max(1, 2**cfg.scales * cfg.upsample // scale)
    return -(-side // multiple) * multiple


def iteration_seconds(
    cfg: DipConfig, bands: int, height: int, width: int, scale: int, device: torch.device
) -> float:
    """Seconds one iteration of a fit of a ``height`` x ``width`` px input takes on ``device``,
    measured now: the median of iterations 2 to 7 of a short fit (the first includes set-up; a
    median of six, as two alone varied by 2x on a CPU other work shares)."""
    stamps: list[float] = []  # the end of each iteration
    lr = torch.rand(1, bands, height, width, device=device) * 0.3
    fit(lr, scale, replace(cfg, iterations=7), lambda step: stamps.append(time.perf_counter()))
    return float(np.median(np.diff(stamps)))


def fit(
    lr: torch.Tensor,
    scale: int,
    cfg: DipConfig,
    report: Callable[[DipStep], None] | None = None,
) -> DipResult:
    """Super-resolve ``lr`` (``(1, C, h, w)`` reflectance, no NaN) by ``scale``.

    ``h`` and ``w`` must be what :func:`fit_side` gives (the pipeline pads).
    """
    device = lr.device
    gen = torch.Generator(device="cpu").manual_seed(cfg.seed)
    torch.manual_seed(cfg.seed)
    ceiling = float(torch.quantile(lr.flatten().float().cpu(), 0.999)) * 1.25 + 1e-6
    target = lr / ceiling
    _, c, h, w = lr.shape
    net = SkipNet(
        cfg.input_channels,
        c,
        cfg.channels,
        cfg.skip_channels,
        cfg.scales,
        cfg.upsample,
        cfg.residual,
    ).to(device)
    base = F.interpolate(target, scale_factor=scale, mode="bicubic") if cfg.residual else 0.0
    size = (h * scale // cfg.upsample, w * scale // cfg.upsample)
    noise = (torch.rand(1, cfg.input_channels, *size, generator=gen) * 0.1).to(device)
    kernel = kernel_for(cfg.kernel, scale).to(device)
    opt = torch.optim.Adam(net.parameters(), lr=cfg.lr)
    losses: list[float] = []
    for it in range(1, cfg.iterations + 1):
        perturbed = noise + torch.randn(noise.shape, generator=gen).to(device) * cfg.reg_noise
        out = base + net(perturbed)
        loss = F.mse_loss(downsample(out, kernel, scale), target)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
        if report:
            preview = None
            if it % cfg.preview_every == 0:
                with torch.no_grad():
                    preview = (base + net(noise))[0].cpu().numpy() * ceiling
            report(DipStep(it, cfg.iterations, losses[-1], preview))
    with torch.no_grad():  # batch norm stays in training mode: batch statistics are what was fitted
        image = (base + net(noise)) * ceiling
    return DipResult(image, len(losses), losses)
