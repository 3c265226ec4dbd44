"""Fixtures shared by the super-resolution tests: a real Austria crop and a tiny DIP preset."""

from pathlib import Path

import pytest

import sr.dip
from imagery.local import scenes_in_file
from imagery.raster import Raster
from imagery.read import read_area

TINY = sr.dip.DipConfig(
    channels=8, scales=2, skip_channels=2, input_channels=8, iterations=40, preview_every=20
)
AREA = (13.12, 48.28, 13.13, 48.286)


@pytest.fixture
def area(austria: Path) -> Raster:
    return read_area(scenes_in_file(austria)[0], AREA)


@pytest.fixture
def tiny_dip(monkeypatch):
    monkeypatch.setitem(sr.dip.PRESETS, "fast", TINY)
