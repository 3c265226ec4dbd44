"""Decrappify: a U-Net with a pretrained encoder that refines an upsampled image.

After fast.ai's "decrappify" (Jason Antic, Jeremy Howard, Uri Manor, 2019: DeOldify/fastai
lesson 7): an ImageNet-pretrained encoder, a decoder with skip connections, trained with a feature
loss; the decoder upsamples by resize-convolution instead of fast.ai's pixel shuffle (see
:class:`UpBlock`: pixel shuffle stamped a 4 x 4 grid texture). It works
at the output resolution: its input is an upsampled image (bicubic, or Deep Image Prior's output)
and it predicts a correction added to it. The last layer starts at zero, so an untrained model
returns its input unchanged.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from sr.models.encoders import ENCODERS, normalise


class UpBlock(nn.Module):
    """x2 upsampling by resize-convolution (bilinear, then a 3 x 3 convolution; Odena et al.,
    "Deconvolution and checkerboard artifacts", Distill 2016), the skip features, then two 3 x 3
    convolutions.

    Pixel shuffle, fast.ai's choice, was measured to stamp a fixed pattern on every 4 x 4 block:
    each of its sub-pixel channels learns its own response, so even a constant input came out
    with a periodic correction (97 % of its detail fixed to the 4 x 4 grid, 30 % on real scenes).
    A resized constant stays constant, so this decoder has no such pattern to learn.
    """

    def __init__(self, in_ch: int, skip_ch: int, out_ch: int) -> None:
        super().__init__()
        self.up = nn.Conv2d(in_ch, out_ch, 3, padding=1, padding_mode="replicate")
        self.skip_bn = nn.BatchNorm2d(skip_ch)
        self.conv = nn.Sequential(
            nn.Conv2d(out_ch + skip_ch, out_ch, 3, padding=1, padding_mode="replicate"),
            nn.ReLU(inplace=True),
            nn.Conv2d(out_ch, out_ch, 3, padding=1, padding_mode="replicate"),
            nn.ReLU(inplace=True),
        )

    def forward(self, x: torch.Tensor, skip: torch.Tensor) -> torch.Tensor:
        x = F.interpolate(x, size=skip.shape[-2:], mode="bilinear", align_corners=False)
        x = torch.relu(self.up(x))
        return self.conv(torch.cat([x, self.skip_bn(skip)], dim=1))


class DecrappifyUNet(nn.Module):
    """``(N, 4, H, W)`` reflectance in (B04, B03, B02, B08), the refined image out (the input
    plus a predicted correction); H and W multiples of 16.

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
        return x + self.head(y)
