"""Deep Image Prior outputs of real training patches, so that the chain's refiner learns on the
inputs it meets: ``python -m sr.training dip-dataset OUT.npz [--patches 32] [--preset fast]``.

Each pair is a real 10 m patch of the training scenes (``sr.training.data.TRAIN_SCENES``; never
the held-out Austria file nor the validation scene) and the Deep Image Prior fit of its
x4-degraded version (degraded as :func:`sr.training.data.degrade_lr` does for training), with
the app's preset and stopping rule. Patches are drawn from a seeded generator before any fit,
so the set is the same on every machine; the file is rewritten atomically after each fit, and a
rerun skips the pairs already in it (a killed run resumes where it stopped).

File: ``hr`` ``(N, 4, P, P)``, ``lr`` ``(N, 4, P / 4, P / 4)`` (the degraded patch DIP was
fitted to, which training's data-consistency step needs) and ``dip`` ``(N, 4, P, P)``, float32
reflectance (B04, B03, B02, B08), ``preset`` (the preset's name and its settings, so that a
file made under a preset's earlier settings is refused, not extended) and ``seed``.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from sr import dip
from sr.cache import save_npz
from sr.training.data import TRAIN_SCENES, degrade_lr, load_pairs, load_reflectance, sample

log = logging.getLogger(__name__)


def build(
    out: Path,
    patches: int = 32,
    preset: str = dip.DEFAULT_PRESET,
    seed: int = 0,
    images: Sequence[str] = TRAIN_SCENES,
    patch: int = 128,
    scale: int = 4,
) -> Path:
    """Fit Deep Image Prior to ``patches`` degraded training patches and store the pairs."""
    rng = random.Random(seed)
    torch.manual_seed(seed)  # the noise of the degradation
    full = [load_reflectance(Path(p)) for p in images]
    drawn = []
    for _ in range(patches):  # drawn up front: the set does not depend on where a run resumed
        hr = sample(full, patch, rng, augment=False)[None]
        drawn.append((hr, degrade_lr(hr, rng, scale)))
    settings = f"{preset}: {dip.PRESETS[preset]!r}"
    hrs, lrs, dips = _load(out, settings, seed)
    for i in range(len(hrs), patches):
        hr, lr = drawn[i]
        result = dip.fit(lr, scale, dip.PRESETS[preset])
        hrs.append(hr[0].numpy())
        lrs.append(lr[0].numpy())
        dips.append(result.image[0].clamp_min(0).numpy())
        _save(out, {"hr": hrs, "lr": lrs, "dip": dips}, settings, seed)
        log.info("pair %d/%d: %d iterations", i + 1, patches, result.iterations)
    return out


def _load(
    path: Path, settings: str, seed: int
) -> tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]]:
    if not path.is_file():
        return [], [], []
    with np.load(path) as data:
        if str(data["preset"]) != settings or int(data["seed"]) != seed:
            raise ValueError(
                f"{path} holds another preset, other preset settings or another seed; "
                "choose another file"
            )
    hr, lr, dip_out = load_pairs(path)  # refuses a file without the measurements
    return list(hr.numpy()), list(lr.numpy()), list(dip_out.numpy())


def _save(path: Path, arrays: dict[str, list[np.ndarray]], settings: str, seed: int) -> None:
    save_npz(
        path,
        compressed=True,
        **{k: np.stack(v) for k, v in arrays.items()},
        preset=np.array(settings),
        seed=np.array(seed),
    )
