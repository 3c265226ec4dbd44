"""Shared fixtures: paths to real data and tiny generated rasters with a real CRS."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from affine import Affine

import settings
from imagery.geotiff import write_geotiff
from settings import DEMO_SCENE

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / DEMO_SCENE
AUSTRIA = ROOT / settings.shared_data_dir() / "s2_austria_T33UUP_2021_2dates.tif"


@pytest.fixture
def demo_scene() -> Path:
    assert DEMO.exists(), f"{DEMO} is missing: the README's set-up (make test) builds it"
    return DEMO


@pytest.fixture
def env(monkeypatch, tmp_path: Path, demo_scene: Path) -> Path:
    """The app's folders for one test: the demo scene, labels and cache in ``tmp_path``."""
    monkeypatch.setenv("SCENES_DIR", str(demo_scene.parent))
    monkeypatch.setenv("LABELS_DIR", str(tmp_path / "labels"))
    monkeypatch.setenv("SR_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path


@pytest.fixture
def austria() -> Path:
    assert AUSTRIA.exists(), f"{AUSTRIA} is missing: ../shared/data must sit beside the checkout"
    return AUSTRIA


def write_tif(
    path: Path,
    data: np.ndarray,
    origin: tuple[float, float] = (400000.0, 5800000.0),
    res: float = 10.0,
    crs: str = "EPSG:32633",
    descriptions: tuple[str, ...] | None = ("B04", "B03", "B02", "B08"),
    nodata: float | None = 0,
    tags: dict[str, str] | None = None,
) -> Path:
    """Write ``(C, H, W)`` ``data`` as a GeoTIFF with its top-left corner at ``origin``."""
    transform = Affine(res, 0, origin[0], 0, -res, origin[1])
    write_geotiff(path, data, crs, transform, nodata, descriptions, tags)
    return path
