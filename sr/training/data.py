"""Training data for Decrappify: the scenes, their reflectance, and the pairs made from them.

Pairs come from real 10 m images (the high-resolution targets): each random patch is degraded
x4 the way the sensor would see it coarser (blur, decimation, noise), then upsampled back the way
the model's input is made in the pipelines:

- degradation: a Gaussian blur of sigma ~ U(1.5, 2.5) high-resolution pixels (70 %) or DIP's
  Lanczos-2 kernel (30 %), x4 decimation, then Gaussian noise of sigma ~ U(0, 0.003) reflectance;
- model input: bicubic upsampling (70 %), or a smooth "DIP-like" upsampling (30 %: bilinear,
  then a Gaussian blur of sigma 0.7), standing in for Deep Image Prior's output in the chain;
- augmentation: the 8 flips and rotations, and a brightness factor ~ U(0.9, 1.1).

Data (the defaults): every scene in ``../shared/data/train`` but one, plus the demo scene: 8
scenes from 5 countries on 3 continents, L1C and L2A, winter to summer. Denmark (Zealand farmland,
2017-05-27) is held out as the validation scene. The real chain's inputs, Deep Image Prior fits of
training patches, come from :mod:`sr.training.dip_dataset` (:func:`load_pairs`).
"""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

import settings
from imagery.errors import ImageryError
from imagery.geotiff import read_bands
from imagery.raster import BANDS
from sr.degrade import downsample, gaussian_kernel, lanczos2_kernel

_TRAIN = settings.shared_data_dir() / "train"
#: The training scenes (``../shared/data/train``, see its README) and the demo scene.
TRAIN_SCENES: tuple[str, ...] = (
    *(
        str(_TRAIN / name)
        for name in (
            "s2_virginia_T18SVG_L1C.tif",
            "s2_patagonia_T19GFG.tif",
            "s2_madagascar_T38KPD_20170203_L2A.tif",
            "s2_madagascar_T38KPE_20170213_L2A_hazy.tif",
            "s2_madagascar_T38KPD_20170223_L2A.tif",
            "s2_pasture_unknown_nogeo.tif",
            "s2_sharkbay_T49JGM_20171022_L1C_nogeo.tif",
        )
    ),
    str(settings.DEMO_SCENE),
)
#: Held out for validation: farmland on Zealand, Denmark.
VAL_SCENES: tuple[str, ...] = (str(_TRAIN / "s2_denmark_T33UUB_20170527_L1C_nogeo.tif"),)


def load_reflectance(path: Path) -> np.ndarray:
    """Bands B04, B03, B02, B08 of a GeoTIFF as ``(4, H, W)`` reflectance, NaN for nodata (by
    band description; a file without descriptions is read as the first four bands).

    Raises:
        ImageryError: what :func:`imagery.geotiff.read_bands` refuses, or a band is missing.
    """
    data, names, _ = read_bands(path)
    if not all(b in names for b in BANDS):
        if any(n in BANDS for n in names) or len(names) < len(BANDS):
            raise ImageryError(f"{path.name} lacks one of the bands {', '.join(BANDS)}")
        names = BANDS + names[len(BANDS) :]
    return np.stack([data[names.index(b)] for b in BANDS])


def degrade_lr(hr: torch.Tensor, rng: random.Random, scale: int) -> torch.Tensor:
    """``(1, C, H, W)`` -> the low-resolution ``(1, C, H / scale, W / scale)`` the sensor might
    have measured: blurred (Gaussian or Lanczos-2), decimated, with noise."""
    if rng.random() < 0.7:
        kernel = gaussian_kernel(scale, rng.uniform(1.5, 2.5))
    else:
        kernel = lanczos2_kernel(scale)
    lr = downsample(hr, kernel, scale)
    return lr + torch.randn_like(lr) * rng.uniform(0.0, 0.003)


def degrade(hr: torch.Tensor, rng: random.Random, scale: int) -> tuple[torch.Tensor, torch.Tensor]:
    """A model input from a high-resolution batch: degrade x ``scale``, add noise, upsample.
    Returns the input and the low-resolution batch it was upsampled from."""
    out, lows = [], []
    for x in hr.split(1):
        lr = degrade_lr(x, rng, scale)
        lows.append(lr)
        if rng.random() < 0.7:
            up = F.interpolate(lr, scale_factor=scale, mode="bicubic", align_corners=False)
        else:
            up = F.interpolate(lr, scale_factor=scale, mode="bilinear", align_corners=False)
            k = gaussian_kernel(1, 0.7)
            up = F.conv2d(
                F.pad(up, (1, 2, 1, 2), mode="replicate"),
                k.to(up)[None, None].expand(4, 1, 4, 4),
                groups=4,
            )
        out.append(up)
    return torch.cat(out), torch.cat(lows)


def augment_pair(*images: torch.Tensor, rng: random.Random) -> list[torch.Tensor]:
    """The same random rotation and flip of ``(C, H, W)`` images: a target, its model input and
    its low-resolution measurement (the kernels are symmetric and the grids aligned, so the
    measurement of the turned target is the turned measurement)."""
    k, flip = rng.randrange(4), rng.random() < 0.5
    turned = [torch.rot90(t, k, dims=(1, 2)) for t in images]
    return [t.flip(2) for t in turned] if flip else turned


def sample(images: list[np.ndarray], size: int, rng: random.Random, augment: bool) -> torch.Tensor:
    """A random ``(4, size, size)`` patch without nodata (up to 100 tries), optionally augmented."""
    images = [img for img in images if min(img.shape[1:]) >= size]
    if not images:
        raise ImageryError(f"no training or validation image is {size} px a side or larger")
    for _ in range(100):
        img = images[rng.randrange(len(images))]
        _, h, w = img.shape
        y, x = rng.randrange(h - size + 1), rng.randrange(w - size + 1)
        window = img[:, y : y + size, x : x + size]
        if not np.isnan(window).any():
            break
    else:
        raise ImageryError("the training images are mostly nodata: no clean patch found")
    patch = torch.from_numpy(window.copy())
    if augment:
        patch = torch.rot90(patch, rng.randrange(4), dims=(1, 2))
        if rng.random() < 0.5:
            patch = patch.flip(2)
        patch = patch * rng.uniform(0.9, 1.1)
    return patch


Pairs = tuple[torch.Tensor, torch.Tensor, torch.Tensor]


def load_pairs(path: Path) -> Pairs:
    """The ``(hr, lr, dip)`` tensors of a file of ``python -m sr.training dip-dataset``: targets,
    the low-resolution measurements DIP was fitted to, DIP's outputs.

    Raises:
        ValueError: a file from before the measurements were stored (2026-11-26).
    """
    with np.load(path) as data:
        if "lr" not in data:
            raise ValueError(
                f"{path} was made before dip-dataset stored the low-resolution inputs; "
                "build it again with `python -m sr.training dip-dataset`"
            )
        hr, lr, dip = (torch.from_numpy(data[k]) for k in ("hr", "lr", "dip"))
        return hr, lr, dip
