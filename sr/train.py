"""Training Decrappify on Sentinel-2: ``python -m sr train``.

Pairs come from real 10 m images (the high-resolution targets): each random patch is degraded
x4 the way the sensor would see it coarser (blur, decimation, noise), then upsampled back the way
the model's input is made in the pipelines:

- degradation: a Gaussian blur of sigma ~ U(1.5, 2.5) high-resolution pixels (70 %) or DIP's
  Lanczos-2 kernel (30 %), x4 decimation, then Gaussian noise of sigma ~ U(0, 0.003) reflectance;
- model input: bicubic upsampling (70 %), or a smooth "DIP-like" upsampling (30 %: bilinear,
  then a Gaussian blur of sigma 0.7), standing in for Deep Image Prior's output in the chain;
- augmentation: the 8 flips and rotations, and a brightness factor ~ U(0.9, 1.1).

The last ``val_fraction`` of each image's columns is held out for validation (fixed patches);
the best checkpoint by validation PSNR is kept. Every ``log_every`` steps one JSON line goes to
the log. The held-out Austria file must never be given to this command.
"""

from __future__ import annotations

import json
import logging
import math
import platform
import random
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from imagery.errors import ImageryError
from imagery.geotiff import read_bands
from imagery.raster import BANDS
from settings import DEMO_SCENE
from sr.cache import file_sha256
from sr.degrade import downsample, gaussian_kernel, lanczos2_kernel
from sr.device import pick_device
from sr.metrics import psnr
from sr.models.feature_loss import FeatureLoss
from sr.models.unet import DecrappifyUNet

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainConfig:
    """Training settings (defaults: the shipped model)."""

    images: tuple[str, ...] = (str(DEMO_SCENE),)
    out: str = "sr/weights/decrappify-lite0.pt"
    encoder: str = "efficientnet-lite0"
    feature_net: str = "efficientnet-lite0"
    patch: int = 128  # high-resolution patch side, pixels
    batch: int = 8
    lr: float = 1e-3  # decoder; the pretrained encoder gets lr / 10
    minutes: float = 60.0  # stop after this long, or after `steps`
    steps: int = 100_000
    val_fraction: float = 0.2
    val_patches: int = 32
    log_every: int = 50
    seed: int = 0
    threads: int = 2
    scale: int = 4


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


def degrade(hr: torch.Tensor, rng: random.Random, scale: int) -> torch.Tensor:
    """A model input from a high-resolution batch: degrade x ``scale``, add noise, upsample."""
    out = []
    for x in hr.split(1):
        if rng.random() < 0.7:
            kernel = gaussian_kernel(scale, rng.uniform(1.5, 2.5))
        else:
            kernel = lanczos2_kernel(scale)
        lr = downsample(x, kernel, scale)
        lr = lr + torch.randn_like(lr) * rng.uniform(0.0, 0.003)
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
    return torch.cat(out)


def sample(images: list[np.ndarray], size: int, rng: random.Random, augment: bool) -> torch.Tensor:
    """A random ``(4, size, size)`` patch without nodata (up to 100 tries), optionally augmented."""
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


def train(cfg: TrainConfig) -> dict[str, Any]:
    """Train, keep the best checkpoint at ``cfg.out`` and write its record beside it."""
    torch.manual_seed(cfg.seed)
    torch.set_num_threads(cfg.threads)
    rng = random.Random(cfg.seed)
    device = pick_device(None)
    full = [load_reflectance(Path(p)) for p in cfg.images]
    if any("austria" in Path(p).name.lower() for p in cfg.images):
        raise ValueError("the Austria file is held out for evaluation; do not train on it")
    split = [int(img.shape[2] * (1 - cfg.val_fraction)) for img in full]
    train_imgs = [img[:, :, :s] for img, s in zip(full, split, strict=True)]
    val_imgs = [img[:, :, s:] for img, s in zip(full, split, strict=True)]
    val_rng = random.Random(12345)
    val_hr = torch.stack(
        [sample(val_imgs, cfg.patch, val_rng, False) for _ in range(cfg.val_patches)]
    )
    val_in = degrade(val_hr, val_rng, cfg.scale)
    val_hr, val_in = val_hr.to(device), val_in.to(device)
    # PSNR with the peak at reflectance 0.3 ("white" in the model's normalisation)
    base_psnr = psnr((val_in / 0.3).cpu().numpy(), (val_hr / 0.3).cpu().numpy())

    model = DecrappifyUNet(cfg.encoder, pretrained=True).to(device)
    loss_fn = FeatureLoss(cfg.feature_net).to(device)
    enc = list(model.encoder.parameters())
    enc_ids = {id(p) for p in enc}
    dec = [p for p in model.parameters() if id(p) not in enc_ids]
    opt = torch.optim.AdamW(
        [{"params": enc, "lr": cfg.lr / 10}, {"params": dec, "lr": cfg.lr}], weight_decay=1e-4
    )
    out = Path(cfg.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    log_path = out.with_suffix(".log.jsonl")
    start = time.monotonic()
    best: dict[str, float] = {"val_psnr": base_psnr, "step": 0}
    step = 0
    with open(log_path, "w") as log_file:
        while step < cfg.steps and time.monotonic() - start < cfg.minutes * 60:
            model.train()
            hr = torch.stack([sample(train_imgs, cfg.patch, rng, True) for _ in range(cfg.batch)])
            inp = degrade(hr, rng, cfg.scale)
            hr, inp = hr.to(device), inp.to(device)
            # schedule position: the time budget or the step budget, whichever is nearer its end
            # (a run with a large --minutes and a set --steps is step-for-step reproducible)
            frac = max((time.monotonic() - start) / (cfg.minutes * 60), step / cfg.steps)
            for group, base in zip(opt.param_groups, (cfg.lr / 10, cfg.lr), strict=True):
                group["lr"] = base * 0.5 * (1 + math.cos(math.pi * min(frac, 1.0)))  # cosine
            loss = loss_fn(model(inp), hr)
            opt.zero_grad()
            loss.backward()
            opt.step()
            step += 1
            if step % cfg.log_every == 0:
                model.eval()
                with torch.inference_mode():
                    val = psnr((model(val_in) / 0.3).cpu().numpy(), (val_hr / 0.3).cpu().numpy())
                record = {
                    "step": step,
                    "minutes": round((time.monotonic() - start) / 60, 2),
                    "loss": float(loss),
                    **loss_fn.parts,
                    "val_psnr": round(val, 3),
                    "val_psnr_input": round(base_psnr, 3),
                }
                log_file.write(json.dumps(record) + "\n")
                log_file.flush()
                log.info("%s", record)
                if val > best["val_psnr"]:
                    best = {"val_psnr": val, "step": step}
                    save_checkpoint(model, out)
    if best["step"] == 0:
        save_checkpoint(model, out)  # never improved: ship the identity-like last state honestly
    summary: dict[str, Any] = {
        "config": asdict(cfg),
        "steps": step,
        "minutes": round((time.monotonic() - start) / 60, 1),
        "best_step": best["step"],
        "val_psnr": round(best["val_psnr"], 3),
        "val_psnr_input": round(base_psnr, 3),
        "machine": f"{platform.machine()}, {torch.get_num_threads()} threads, {device}",
        "torch": torch.__version__,
        "sha256": file_sha256(out),
    }
    out.with_suffix(".json").write_text(json.dumps(summary, indent=1))
    return summary


def save_checkpoint(model: DecrappifyUNet, path: Path) -> None:
    """Half-precision state dict (half the size; the model runs in float32 after loading)."""
    state = {k: (v.half() if v.is_floating_point() else v) for k, v in model.state_dict().items()}
    tmp = path.with_suffix(".tmp")
    torch.save({"encoder": model.encoder_name, "state_dict": state}, tmp)
    tmp.replace(path)
