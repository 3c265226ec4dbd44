"""The "skip" encoder-decoder of Deep Image Prior (Ulyanov, Vedaldi, Lempitsky, CVPR 2018).

As in the published code (``models/skip.py``): at each scale a skip branch (1 x 1 convolution)
and a deeper branch (3 x 3 stride-2 convolution, 3 x 3 convolution, the next scale, bilinear x2
upsampling); their concatenation goes through batch norm, a 3 x 3 and a 1 x 1 convolution.
Every convolution has reflection padding, batch norm and LeakyReLU(0.2); a 1 x 1 convolution
and a sigmoid make the output. With ``residual`` the sigmoid is left out and that convolution
starts at zero: the output is a correction, nothing at first (see :mod:`sr.dip`). Input height
and width must be multiples of 2 ** scales.
"""

from __future__ import annotations

import torch
from torch import nn


def conv(in_ch: int, out_ch: int, kernel: int, stride: int = 1) -> nn.Sequential:
    pad = (kernel - 1) // 2
    layers: list[nn.Module] = [nn.ReflectionPad2d(pad)] if pad else []
    layers += [nn.Conv2d(in_ch, out_ch, kernel, stride), nn.BatchNorm2d(out_ch), nn.LeakyReLU(0.2)]
    return nn.Sequential(*layers)


class Level(nn.Module):
    """One scale of the network, holding the deeper ones."""

    def __init__(self, in_ch: int, down: int, up: int, skip: int, deeper: nn.Module | None):
        super().__init__()
        self.skip = conv(in_ch, skip, 1) if skip else None
        self.down = nn.Sequential(conv(in_ch, down, 3, stride=2), conv(down, down, 3))
        self.deeper = deeper
        self.upsample = nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False)
        deeper_out = up if deeper is not None else down
        self.bn = nn.BatchNorm2d(skip + deeper_out)
        self.merge = nn.Sequential(conv(skip + deeper_out, up, 3), conv(up, up, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.down(x)
        if self.deeper is not None:
            y = self.deeper(y)
        y = self.upsample(y)
        if self.skip is not None:
            y = torch.cat([self.skip(x), y], dim=1)
        return self.merge(self.bn(y))


class SkipNet(nn.Module):
    """DIP's skip network; the published super-resolution settings are the defaults."""

    def __init__(
        self,
        in_ch: int = 32,
        out_ch: int = 4,
        channels: int = 128,
        skip_channels: int = 4,
        scales: int = 5,
        upsample: int = 1,
        residual: bool = False,
    ) -> None:
        super().__init__()
        self.scales = scales
        level: nn.Module | None = None
        for depth in reversed(range(scales)):
            level = Level(
                in_ch if depth == 0 else channels, channels, channels, skip_channels, level
            )
        assert level is not None
        self.body = level
        last = nn.Conv2d(channels, out_ch, 1)
        head: list[nn.Module] = [last]
        if residual:
            for p in last.parameters():  # weight and bias
                nn.init.zeros_(p)
        else:
            head.append(nn.Sigmoid())
        if upsample > 1:  # the network works at 1 / upsample of the output size
            # After the 1 x 1 convolution, not before: both are linear and bilinear weights sum
            # to 1, so the order gives the same output, and upsampling ``out_ch`` channels
            # instead of ``channels`` saved 22-24 % of a `fast` iteration (docs/benchmarks.md).
            head.insert(1, nn.Upsample(scale_factor=upsample, mode="bilinear", align_corners=False))
        self.out = nn.Sequential(*head)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(self.body(x))
