"""The feature ("perceptual") loss of fast.ai's decrappify.

loss = L1(pixels) + a * sum_i w_i L1(features_i) + b * sum_i w_i L1(Gram(features_i))

with features at three depths of a frozen ImageNet network applied to the RGB bands (B04, B03,
B02), layer weights w = (20, 70, 10) (fast.ai lesson 7's values), Gram matrices (style term,
Gatys et al. 2016) divided by C*H*W, and pixels divided by the bands' reflectance scale (so 1 is
about white). fast.ai's Gram weight (5000) was set for VGG features of [0, 1] images; here a and b
are calibrated so that, for a bicubic upsampling of a real Sentinel-2 patch (demo scene, Gaussian
degradation), the pixel, feature and Gram terms start at about 1 : 1 : 0.5 (measured: pixel
0.0123, weighted feature sum 346, weighted Gram sum 35.1 with EfficientNet-Lite0).

The feature network is VGG16-BN as in the original when torchvision's weights can be had
(internet; the same a and b, not recalibrated), EfficientNet-Lite0 otherwise (offline weights,
its strides 2, 4 and 8). Pixel L1 covers all four bands, NIR included.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from sr.models.encoders import BAND_SCALE, Lite0Encoder, normalise

LAYER_WEIGHTS = (20.0, 70.0, 10.0)
FEATURE_SCALE = 3.5e-5  # a
GRAM_SCALE = 1.75e-4  # b


def gram(x: torch.Tensor) -> torch.Tensor:
    n, c, h, w = x.shape
    f = x.reshape(n, c, h * w)
    return f @ f.transpose(1, 2) / (c * h * w)


def lite0_features() -> nn.Module:
    """EfficientNet-Lite0 (RGB, ImageNet weights) features after blocks 0, 2, 4: strides 2, 4, 8."""
    return Lite0Encoder(pretrained=True, bands=3, taps=(0, 2, 4))


class Vgg16BnFeatures(nn.Module):
    """VGG16-BN features before its 2nd, 3rd and 4th max-pooling (fast.ai's choice)."""

    def __init__(self) -> None:
        super().__init__()
        from torchvision.models import VGG16_BN_Weights, vgg16_bn

        layers = vgg16_bn(weights=VGG16_BN_Weights.IMAGENET1K_V1).features
        pools = [i for i, m in enumerate(layers) if isinstance(m, nn.MaxPool2d)]
        self.features = layers[: pools[3]]
        self.taps = {pools[1] - 1, pools[2] - 1, pools[3] - 1}

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        out = []
        for i, layer in enumerate(self.features):
            x = layer(x)
            if i in self.taps:
                out.append(x)
        return out


FEATURE_NETS: dict[str, Callable[[], nn.Module]] = {
    "efficientnet-lite0": lite0_features,
    "vgg16_bn": Vgg16BnFeatures,
}


class FeatureLoss(nn.Module):
    """Pixel + feature + Gram loss between a prediction and its target, reflectance
    ``(N, 4, H, W)``. ``parts`` holds the last value of each term, for logging."""

    def __init__(
        self,
        network: str = "efficientnet-lite0",
        feature_weight: float = 1.0,
        gram_weight: float = 1.0,
    ) -> None:
        """``feature_weight`` and ``gram_weight`` multiply the calibrated a and b (0: no term)."""
        super().__init__()
        self.network = network
        self.feature_weight, self.gram_weight = feature_weight, gram_weight
        self.features = FEATURE_NETS[network]().eval()
        for p in self.features.parameters():
            p.requires_grad_(False)
        self.parts: dict[str, float] = {}

    def train(self, mode: bool = True) -> FeatureLoss:
        super().train(mode)
        self.features.eval()  # frozen batch-norm statistics, always
        return self

    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        scale = torch.tensor(BAND_SCALE, device=pred.device, dtype=pred.dtype)[None, :, None, None]
        pixel = F.l1_loss(pred / scale, target / scale)
        fp = self.features(normalise(pred[:, :3]))
        with torch.no_grad():
            ft = self.features(normalise(target[:, :3]))
        pairs = list(zip(LAYER_WEIGHTS, fp, ft, strict=True))
        feat = (
            self.feature_weight
            * FEATURE_SCALE
            * torch.stack([w * F.l1_loss(a, b) for w, a, b in pairs]).sum()
        )
        style = (
            self.gram_weight
            * GRAM_SCALE
            * torch.stack([w * F.l1_loss(gram(a), gram(b)) for w, a, b in pairs]).sum()
        )
        self.parts = {
            k: float(v.detach()) for k, v in (("pixel", pixel), ("feature", feat), ("gram", style))
        }
        return pixel + feat + style
