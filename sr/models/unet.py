"""Decrappify: a U-Net with a pretrained encoder that refines an upsampled image.

After fast.ai's "decrappify" (Jason Antic, Jeremy Howard, Uri Manor, 2019: DeOldify/fastai
lesson 7): an ImageNet-pretrained encoder, a decoder that upsamples by pixel shuffle (ICNR
initialisation, Aitken et al. 2017) with skip connections, trained with a feature loss. It works
at the output resolution: its input is an upsampled image (bicubic, or Deep Image Prior's output)
and it predicts a correction added to it. The last layer starts at zero, so an untrained model
returns its input unchanged.
"""

from __future__ import annotations

import torch
from torch import nn

from sr.models.encoders import ENCODERS, normalise


def icnr_(weight: torch.Tensor, scale: int = 2) -> None:
    """ICNR: initialise a conv before PixelShuffle so that it starts as nearest upsampling."""
    out_ch, in_ch, kh, kw = weight.shape
    sub = torch.empty(out_ch // scale**2, in_ch, kh, kw)
    nn.init.kaiming_normal_(sub)
    with torch.no_grad():
        weight.copy_(sub.repeat_interleave(scale**2, dim=0))


class UpBlock(nn.Module):
    """x2 pixel-shuffle upsampling, then the skip features, then two 3 x 3 convolutions."""

    def __init__(self, in_ch: int, skip_ch: int, out_ch: int) -> None:
        super().__init__()
        self.up = nn.Conv2d(in_ch, out_ch * 4, 1)
        icnr_(self.up.weight)
        self.shuffle = nn.PixelShuffle(2)
        self.skip_bn = nn.BatchNorm2d(skip_ch)
        self.conv = nn.Sequential(
            nn.Conv2d(out_ch + skip_ch, out_ch, 3, padding=1),
            nn.ReLU(inplace=True),
            nn.Conv2d(out_ch, out_ch, 3, padding=1),
            nn.ReLU(inplace=True),
        )

    def forward(self, x: torch.Tensor, skip: torch.Tensor) -> torch.Tensor:
        x = torch.relu(self.shuffle(self.up(x)))
        return self.conv(torch.cat([x, self.skip_bn(skip)], dim=1))


class DecrappifyUNet(nn.Module):
    """``(N, 4, H, W)`` reflectance in (B04, B03, B02, B08), the refined image out; H and W
    multiples of 16.

    Args:
        encoder: ``"efficientnet-lite0"`` (offline weights) or ``"resnet34"`` (downloads).
        pretrained: load the encoder's ImageNet weights (False for tests and loading a checkpoint).
        widths: decoder channels at strides 8, 4, 2 and 1.
    """

    def __init__(
        self,
        encoder: str = "efficientnet-lite0",
        pretrained: bool = True,
        widths: tuple[int, int, int, int] = (96, 64, 48, 32),
    ) -> None:
        super().__init__()
        self.encoder_name = encoder
        self.encoder = ENCODERS[encoder](pretrained=pretrained, bands=4)
        c2, c4, c8, c16 = self.encoder.channels
        w8, w4, w2, w1 = widths
        self.up8 = UpBlock(c16, c8, w8)
        self.up4 = UpBlock(w8, c4, w4)
        self.up2 = UpBlock(w4, c2, w2)
        self.up1 = UpBlock(w2, 4, w1)
        self.head = nn.Conv2d(w1, 4, 1)
        nn.init.zeros_(self.head.weight)
        nn.init.zeros_(self.head.bias)  # type: ignore[arg-type]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        f2, f4, f8, f16 = self.encoder(normalise(x))
        y = self.up8(f16, f8)
        y = self.up4(y, f4)
        y = self.up2(y, f2)
        y = self.up1(y, normalise(x))
        return x + 0.1 * self.head(y)
