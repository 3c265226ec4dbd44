"""Loading the shipped Decrappify weights once per process, and refining an image with them."""

from __future__ import annotations

import functools
import pickle
import warnings
from collections.abc import Callable
from pathlib import Path

import torch
import torch.nn.functional as F

import settings
from sr.cache import file_sha256
from sr.errors import EnhanceError
from sr.models.unet import DecrappifyUNet
from sr.tiles import tiled

TILE, OVERLAP = 512, 32  # pixels at the output resolution


def _require(path: Path) -> None:
    if not path.is_file():
        raise EnhanceError(
            f"Decrappify weights not found at {path}; train them with "
            "`python -m sr.training train` or set SR_DECRAPPIFY_WEIGHTS"
        )


@functools.lru_cache(maxsize=4)
def weights_hash(path: Path) -> str:
    """First 12 hex digits of the file's SHA-256: the model version shown to users.

    Raises:
        EnhanceError: the file is missing.
    """
    _require(path)
    return file_sha256(path)[:12]


@functools.lru_cache(maxsize=4)
def load_model(path: Path, device: str) -> DecrappifyUNet:
    """The model in evaluation mode on ``device``, loaded once per process.

    Raises:
        EnhanceError: the weights file is missing or not a Decrappify checkpoint.
    """
    _require(path)
    try:
        model = read_checkpoint(path)
    except (RuntimeError, KeyError, TypeError, ValueError, EOFError, pickle.UnpicklingError) as err:
        raise EnhanceError(  # torch's own message advises unsafe loading: not shown
            f"{path} is not a Decrappify checkpoint ({type(err).__name__}); train one with "
            "`python -m sr.training train` or unset SR_DECRAPPIFY_WEIGHTS for the shipped model"
        ) from err
    return model.eval().to(device)


def read_checkpoint(path: Path) -> DecrappifyUNet:
    """A fresh model (training mode) with the weights of a checkpoint of
    ``python -m sr.training train``.

    Raises:
        RuntimeError, KeyError, TypeError, ValueError, EOFError, pickle.UnpicklingError: not
            such a checkpoint.
    """
    with warnings.catch_warnings():  # a foreign pickle warns before it fails: one line
        warnings.simplefilter("ignore")
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
    model = DecrappifyUNet(ckpt["encoder"], pretrained=False)
    model.load_state_dict({k: v.float() for k, v in ckpt["state_dict"].items()})
    return model


def refine(up: torch.Tensor, on_tile: Callable[[int, int], None] | None = None) -> torch.Tensor:
    """Refine an upsampled ``(1, 4, H, W)`` reflectance image (B04, B03, B02, B08), or a
    ``(1, 3, H, W)`` one (B04, B03, B02: a true-colour image without near infrared), with the
    shipped model, in overlapping tiles of 512 px.

    Without near infrared, the mean of the three bands stands in for it and the model's fourth
    band is dropped: on the training scenes (reduced resolution, real noise added) the red,
    green and blue of the result then gain over bicubic what they gain with the real band
    (+1.11 against +1.12 dB; green in its place +1.10, 3 x red +0.92; docs/decisions.md)."""
    if up.shape[1] not in (3, 4):
        raise EnhanceError(
            f"Decrappify needs the bands B04, B03, B02 (and B08), not {up.shape[1]} bands"
        )
    if up.shape[1] == 3:
        return refine(torch.cat([up, up.mean(1, keepdim=True)], 1), on_tile)[:, :3]
    model = load_model(settings.decrappify_weights(), str(up.device))

    def run(tile: torch.Tensor) -> torch.Tensor:
        h, w = tile.shape[-2:]
        padded = F.pad(tile, (0, (-w) % 16, 0, (-h) % 16), mode="replicate")
        return model(padded)[..., :h, :w]

    return tiled(run, up, 1, TILE, OVERLAP, on_tile)
