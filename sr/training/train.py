"""Training Decrappify on Sentinel-2: ``python -m sr.training train`` (the pairs it learns
from: :mod:`sr.training.data`).

The pipelines end with the data-consistency step (:func:`sr.consistency.consistency_step`), which
the app can switch off. With ``consistent_weight`` w the loss is w x the loss of the output after
the step (differentiable; ESA's SEN2SR trains through its low-frequency constraint the same way)
plus (1 - w) x the loss of the raw output: the step sets the low frequencies from the
measurement, so its term trains the detail the step cannot supply, while the raw term keeps the
output usable with the step off (trained through the step alone, w = 1, a model leaves its low
frequencies to the step and its raw output is unusable: 10-13 dB on the validation patches).
Validation scores both ways, each against its input (the input, and the input followed by the
step), and the mean of the four gains picks the checkpoint.

Fixed patches of the validation scenes (by default Denmark) pick the best checkpoint. Without
validation scenes, the last ``val_fraction`` of each training image's columns is held out
instead. The held-out Austria file must never be given to this command (it is refused).

The learning rate follows a cosine over ``steps``, never over wall time, so a run is the same
step for step on any machine; ``minutes`` is only a safety stop, recorded when it ends a run.
Every ``log_every`` steps one JSON line goes to the log.
"""

from __future__ import annotations

import json
import logging
import math
import platform
import random
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from imagery.raster import BANDS
from sr.cache import file_sha256
from sr.consistency import consistency_step
from sr.decrappify import read_checkpoint
from sr.device import pick_device
from sr.models.unet import DecrappifyUNet
from sr.training.data import (
    TRAIN_SCENES,
    VAL_SCENES,
    Pairs,
    augment_pair,
    degrade,
    load_pairs,
    load_reflectance,
    sample,
)
from sr.training.feature_loss import FeatureLoss
from sr.training.metrics import psnr

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainConfig:
    """Training settings (defaults: the shipped model)."""

    images: tuple[str, ...] = field(default_factory=lambda: TRAIN_SCENES)
    val_images: tuple[str, ...] = field(default_factory=lambda: VAL_SCENES)
    out: str = "sr/weights/decrappify-lite0.pt"
    encoder: str = "efficientnet-lite0"
    feature_net: str = "efficientnet-lite0"
    patch: int = 128  # high-resolution patch side, pixels
    batch: int = 16
    lr: float = 1e-3  # decoder; the pretrained encoder gets lr / 10
    feature_weight: float = 0.25  # x the calibrated feature term (sr/training/feature_loss.py)
    gram_weight: float = 0.0  # x the calibrated Gram (style) term
    minutes: float = 600.0  # safety stop only: the schedule follows `steps`
    steps: int = 4000
    val_fraction: float = 0.2
    val_patches: int = 32
    log_every: int = 200
    seed: int = 0
    threads: int = 2
    scale: int = 4
    init: str = ""  # start from these weights (a checkpoint of this command) instead of ImageNet
    dip_pairs: str = ""  # a file of `python -m sr.training dip-dataset`: the chain's real inputs
    dip_fraction: float = 0.25  # share of each batch taken from the DIP pairs
    dip_val: int = 4  # the last pairs of that file validate instead of training
    consistent_weight: float = 0.25  # share of the loss taken after the data-consistency step


class Validation:
    """Fixed validation pairs: bicubic-style inputs from the validation scenes, and the last
    ``cfg.dip_val`` DIP pairs when training with them. PSNR with the peak at reflectance 0.3
    ("white" in the model's normalisation), of the output as it is and after the
    data-consistency step (``_step``), each against its input (for ``_step``, the input followed
    by the step)."""

    def __init__(self, cfg: TrainConfig, images: list[np.ndarray], dip: Pairs):
        val_rng = random.Random(12345)
        patches = [sample(images, cfg.patch, val_rng, False) for _ in range(cfg.val_patches)]
        hr = torch.stack(patches)
        self.sets = {"val_psnr": (*degrade(hr, val_rng, cfg.scale), hr)}
        if len(dip[0]):
            self.sets["val_psnr_dip"] = (dip[2], dip[1], dip[0])
        self.scale = cfg.scale
        self.inputs = self._scores(nn.Identity(), torch.device("cpu"))

    def __call__(self, model: nn.Module, device: torch.device) -> dict[str, float]:
        model.eval()
        with torch.inference_mode():
            return self._scores(model, device)

    def _scores(self, model: nn.Module, device: torch.device) -> dict[str, float]:
        scores = {}
        for k, (x, lr, y) in self.sets.items():
            out = model(x.to(device))
            scores[k] = _psnr(out.cpu(), y)
            stepped = consistency_step(out, lr.to(device), self.scale, BANDS)
            scores[f"{k}_step"] = _psnr(stepped.cpu(), y)
        return scores

    def gain(self, scores: dict[str, float]) -> float:
        """Mean gain over the inputs: what picks the best checkpoint."""
        return float(np.mean([scores[k] - self.inputs[k] for k in scores]))


def _loss(
    model: nn.Module,
    loss_fn: FeatureLoss,
    batch: tuple[torch.Tensor, torch.Tensor, torch.Tensor],
    cfg: TrainConfig,
) -> torch.Tensor:
    """The training loss of a batch ``(input, low resolution, target)``: the raw output's and,
    with weight ``cfg.consistent_weight``, the output's after the data-consistency step."""
    inp, low, hr = batch
    out = model(inp)
    w = cfg.consistent_weight
    loss = loss_fn(out, hr)
    if w:
        loss = (1 - w) * loss + w * loss_fn(consistency_step(out, low, cfg.scale, BANDS), hr)
    return loss


def _psnr(x: torch.Tensor, y: torch.Tensor) -> float:
    return round(psnr((x / 0.3).numpy(), (y / 0.3).numpy()), 3)


def train(cfg: TrainConfig) -> dict[str, Any]:
    """Train, keep the best checkpoint at ``cfg.out`` and write its record beside it."""
    torch.manual_seed(cfg.seed)
    torch.set_num_threads(cfg.threads)
    rng = random.Random(cfg.seed)
    device = pick_device(None)
    if any("austria" in Path(p).name.lower() for p in (*cfg.images, *cfg.val_images)):
        raise ValueError("the Austria file is held out for evaluation; do not train on it")
    full = [load_reflectance(Path(p)) for p in cfg.images]
    if cfg.val_images:
        train_imgs, val_imgs = full, [load_reflectance(Path(p)) for p in cfg.val_images]
    else:
        split = [int(img.shape[2] * (1 - cfg.val_fraction)) for img in full]
        train_imgs = [img[:, :, :s] for img, s in zip(full, split, strict=True)]
        val_imgs = [img[:, :, s:] for img, s in zip(full, split, strict=True)]
    empty = (torch.empty(0), torch.empty(0), torch.empty(0))
    pairs = load_pairs(Path(cfg.dip_pairs)) if cfg.dip_pairs else empty
    n_train = len(pairs[0]) - cfg.dip_val if cfg.dip_pairs else 0
    held = (pairs[0][n_train:], pairs[1][n_train:], pairs[2][n_train:])
    validation = Validation(cfg, val_imgs, held)

    if cfg.init:
        model = read_checkpoint(Path(cfg.init)).to(device)
    else:
        model = DecrappifyUNet(cfg.encoder, pretrained=True).to(device)
    loss_fn = FeatureLoss(cfg.feature_net, cfg.feature_weight, cfg.gram_weight).to(device)
    enc = list(model.encoder.parameters())
    enc_ids = {id(p) for p in enc}
    dec = [p for p in model.parameters() if id(p) not in enc_ids]
    opt = torch.optim.AdamW(
        [{"params": enc, "lr": cfg.lr / 10}, {"params": dec, "lr": cfg.lr}], weight_decay=1e-4
    )
    out = Path(cfg.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    start = time.monotonic()
    best: dict[str, Any] = {"gain": 0.0, "step": 0, **validation.inputs}
    step = 0
    with open(out.with_suffix(".log.jsonl"), "w") as log_file:
        while step < cfg.steps and time.monotonic() - start < cfg.minutes * 60:
            model.train()
            hr = torch.stack([sample(train_imgs, cfg.patch, rng, True) for _ in range(cfg.batch)])
            inp, low = degrade(hr, rng, cfg.scale)
            for i in range(cfg.batch):  # the chain's real inputs, where there are
                if n_train and rng.random() < cfg.dip_fraction:
                    j = rng.randrange(n_train)
                    hr[i], low[i], inp[i] = augment_pair(*(t[j] for t in pairs), rng=rng)
            hr, inp, low = hr.to(device), inp.to(device), low.to(device)
            for group, base in zip(opt.param_groups, (cfg.lr / 10, cfg.lr), strict=True):
                group["lr"] = base * 0.5 * (1 + math.cos(math.pi * step / cfg.steps))  # cosine
            loss = _loss(model, loss_fn, (inp, low, hr), cfg)
            opt.zero_grad()
            loss.backward()
            opt.step()
            step += 1
            if step % cfg.log_every == 0:
                scores = validation(model, device)
                minutes = round((time.monotonic() - start) / 60, 2)
                record = {"step": step, "minutes": minutes, "loss": float(loss.detach())}
                record.update(loss_fn.parts)
                record.update(scores)
                record.update({f"{k}_input": v for k, v in validation.inputs.items()})
                log_file.write(json.dumps(record) + "\n")
                log_file.flush()
                log.info("%s", record)
                if validation.gain(scores) > best["gain"]:
                    best = {"gain": validation.gain(scores), "step": step, **scores}
                    save_checkpoint(model, out)
    if best["step"] == 0:
        save_checkpoint(model, out)  # never improved: ship the last state honestly
    summary: dict[str, Any] = {
        "config": asdict(cfg),
        "steps": step,
        "minutes": round((time.monotonic() - start) / 60, 1),
        "best_step": best["step"],
        **{k: v for k, v in best.items() if k.startswith("val_")},
        **{f"{k}_input": v for k, v in validation.inputs.items()},
        "machine": f"{platform.machine()}, {torch.get_num_threads()} threads, "
        + _device_name(device),
        "torch": torch.__version__,
        "sha256": file_sha256(out),
    }
    out.with_suffix(".json").write_text(json.dumps(summary, indent=1))
    return summary


def _device_name(device: torch.device) -> str:
    return torch.cuda.get_device_name(device) if device.type == "cuda" else str(device)


def save_checkpoint(model: DecrappifyUNet, path: Path) -> None:
    """Half-precision state dict (half the size; the model runs in float32 after loading)."""
    state = {k: (v.half() if v.is_floating_point() else v) for k, v in model.state_dict().items()}
    tmp = path.with_suffix(".tmp")
    torch.save({"encoder": model.encoder_name, "state_dict": state}, tmp)
    tmp.replace(path)
