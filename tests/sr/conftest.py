"""Fixtures shared by the super-resolution tests: a real Austria crop and a tiny DIP preset."""

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

import sr.dip
from imagery.local import scenes_in_file
from imagery.raster import Raster
from imagery.read import read_area
from sr.train import TrainConfig

TINY = sr.dip.DipConfig(
    channels=8, scales=2, skip_channels=2, input_channels=8, iterations=40, preview_every=20
)
AREA = (13.12, 48.28, 13.13, 48.286)


@pytest.fixture
def area(austria: Path) -> Raster:
    return read_area(scenes_in_file(austria)[0], AREA)


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


@pytest.fixture
def tiny_dip(monkeypatch):
    monkeypatch.setitem(sr.dip.PRESETS, "fast", TINY)
