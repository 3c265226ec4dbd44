"""Helpers of the training tests: a training run of a few steps."""

from dataclasses import replace
from pathlib import Path
from typing import Any

from sr.training.train import TrainConfig


def tiny_training(src: Path, out: Path, **settings: Any) -> TrainConfig:
    """A training run of a few steps on 64 px patches of one small file (validated on its
    last columns), with ``settings`` changed."""
    base = TrainConfig(
        images=(str(src),),
        val_images=(),
        out=str(out),
        patch=64,
        batch=2,
        steps=4,
        log_every=2,
        val_patches=2,
        threads=1,
    )
    return replace(base, **settings)
