"""Deep Image Prior super-resolution (Ulyanov, Vedaldi, Lempitsky, "Deep Image Prior", CVPR 2018).

An untrained skip network maps a fixed noise tensor (32 channels, at the output size) to the
image. It is fitted so that its output, downsampled by DIP's Lanczos-2 kernel, matches the
low-resolution input (MSE); Adam, learning rate 0.01, the input noise perturbed by 0.03 x a fresh
normal draw at each step. All bands are fitted jointly. Reflectance is divided by ``ceiling``
(the 99.9th percentile x 1.25) so that the sigmoid output covers it.

Stopping before the network learns the noise: DIP fits image structure first and noise last and
slowly (the paper's Fig. 2), so the fit stops when the low-resolution loss reaches a plateau:
every ``check_every`` steps the mean loss of the last ``check_every`` steps is compared with the
previous window's, and after ``patience`` windows in a row improving it by less than
``min_improvement`` (relative) the fit ends; at the latest after ``iterations``. (A discrepancy
rule, stopping at the noise variance estimated from the image, was tried and dropped: on real
Sentinel-2 crops the estimate counts fine texture as noise and stopped fits at 500 iterations,
1.2 dB below bicubic.) The result is the network's output for the clean noise input (no
perturbation), 0.2-0.7 dB better than the perturbed one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from sr.degrade import downsample, lanczos2_kernel
from sr.models.skip import SkipNet


@dataclass(frozen=True)
class DipConfig:
    """Settings of one fit (defaults: the published x4 super-resolution set-up)."""

    channels: int = 128  # network width at every scale
    scales: int = 5
    skip_channels: int = 4
    input_channels: int = 32
    iterations: int = 2000  # the most; the stopping rules may end sooner
    lr: float = 0.01
    reg_noise: float = 0.03
    check_every: int = 50
    patience: int = 3
    min_improvement: float = 0.01
    preview_every: int = 100
    seed: int = 0


#: ``quality``: the published settings (meant for a GPU). ``fast``: a quarter of the width and
#: at most half the iterations, for a CPU (costs and results measured in bench/ and the README).
PRESETS: dict[str, DipConfig] = {
    "quality": DipConfig(),
    "fast": DipConfig(channels=32, iterations=1000),
}


@dataclass(frozen=True)
class DipStep:
    """What a fit reports: iteration, low-resolution MSE and, every so often, a preview."""

    iteration: int
    total: int
    loss: float
    preview: np.ndarray | None  # (C, H, W) reflectance of the current output


@dataclass(frozen=True)
class DipResult:
    image: torch.Tensor  # (1, C, sH, sW) reflectance
    iterations: int
    stopped_by: str  # "plateau" or "iterations"
    losses: list[float]


def fit(
    lr: torch.Tensor,
    scale: int,
    cfg: DipConfig,
    report: Callable[[DipStep], None] | None = None,
) -> DipResult:
    """Super-resolve ``lr`` (``(1, C, h, w)`` reflectance, no NaN) by ``scale``.

    ``h * scale`` and ``w * scale`` must be multiples of ``2 ** cfg.scales`` (the pipeline pads).
    """
    device = lr.device
    gen = torch.Generator(device="cpu").manual_seed(cfg.seed)
    torch.manual_seed(cfg.seed)
    ceiling = float(torch.quantile(lr.flatten().float().cpu(), 0.999)) * 1.25 + 1e-6
    target = lr / ceiling
    _, c, h, w = lr.shape
    net = SkipNet(cfg.input_channels, c, cfg.channels, cfg.skip_channels, cfg.scales).to(device)
    noise = (torch.rand(1, cfg.input_channels, h * scale, w * scale, generator=gen) * 0.1).to(
        device
    )
    kernel = lanczos2_kernel(scale).to(device)
    opt = torch.optim.Adam(net.parameters(), lr=cfg.lr)
    losses: list[float] = []
    window_means: list[float] = []
    stopped_by, stale = "iterations", 0
    for it in range(1, cfg.iterations + 1):
        perturbed = noise + torch.randn(noise.shape, generator=gen).to(device) * cfg.reg_noise
        out = net(perturbed)
        loss = F.mse_loss(downsample(out, kernel, scale), target)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
        preview = None
        if report and (it % cfg.preview_every == 0):
            preview = out.detach()[0].cpu().numpy() * ceiling
        if report:
            report(DipStep(it, cfg.iterations, losses[-1], preview))
        if it % cfg.check_every == 0:
            mean = float(np.mean(losses[-cfg.check_every :]))
            if window_means and (window_means[-1] - mean) < cfg.min_improvement * window_means[-1]:
                stale += 1
                if stale >= cfg.patience:
                    stopped_by = "plateau"
                    break
            else:
                stale = 0
            window_means.append(mean)
    with torch.no_grad():  # batch norm stays in training mode: batch statistics are what was fitted
        image = net(noise) * ceiling
    return DipResult(image, len(losses), stopped_by, losses)
