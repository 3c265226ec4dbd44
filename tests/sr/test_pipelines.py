import time
from pathlib import Path

import numpy as np
import pytest
from affine import Affine
from rasterio.crs import CRS

import sr.dip
from imagery.errors import ImageryError
from imagery.local import scenes_in_file
from imagery.raster import Raster
from imagery.read import read_area
from settings import SHIPPED_WEIGHTS as DEFAULT_WEIGHTS
from sr.cache import ResultCache
from sr.consistency import consistency
from sr.enhance import PIPELINES, Progress, enhance, model_version

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


@pytest.mark.parametrize("pipeline", list(PIPELINES))
def test_every_pipeline_returns_a_georeferenced_x4_raster(area, tiny_dip, pipeline):
    steps: list[Progress] = []
    out = enhance(area, pipeline, 4, "cpu", steps.append, preset="fast")
    assert out.data.shape == (4, 4 * area.height, 4 * area.width)
    assert out.transform == area.transform @ Affine.scale(0.25)
    assert out.crs == area.crs and out.bands == area.bands
    assert np.isfinite(out.data).all() and (out.data >= 0).all()
    assert steps[-1].fraction == 1.0
    # Each enhanced image, averaged back to 10 m, stays close to what was measured (the tiny
    # 40-iteration DIP of this test less so).
    departure = float(np.nanmean(consistency(area, out).data))
    assert departure < (0.08 if pipeline.startswith("dip") else 0.01)
    if pipeline.startswith("dip"):
        assert any(s.preview is not None for s in steps)


def test_shipped_model_is_recorded_by_version():
    assert DEFAULT_WEIGHTS.is_file()
    assert model_version("bicubic") is None
    assert len(model_version("dip+decrappify") or "") == 12


def test_cache_returns_the_same_result_at_once_and_chains_share_dip(area, tiny_dip, tmp_path):
    cache = ResultCache(tmp_path)
    start = time.perf_counter()
    first = enhance(area, "dip", 4, "cpu", cache=cache)
    fit_time = time.perf_counter() - start
    steps: list[Progress] = []
    start = time.perf_counter()
    again = enhance(area, "dip", 4, "cpu", steps.append, cache=cache)
    assert time.perf_counter() - start < fit_time / 5
    assert np.array_equal(first.data, again.data)
    assert any("from the cache" in s.message for s in steps)
    steps.clear()
    enhance(area, "dip+decrappify", 4, "cpu", steps.append, cache=cache)
    assert not any("Deep Image Prior" in s.message for s in steps)  # reused the DIP stage
    assert len(list(tmp_path.glob("*.npy"))) == 2


def test_nodata_stays_nodata_in_learned_pipelines(area):
    data = area.data.copy()
    data[:, :3, :] = np.nan
    holed = Raster(data, area.crs, area.transform, area.bands)
    out = enhance(holed, "decrappify", 4, "cpu")
    assert np.isnan(out.data[:, :12]).all() and np.isfinite(out.data[:, 12:]).all()


def test_bad_requests_get_clear_messages(area, monkeypatch, tmp_path):
    crs = CRS.from_epsg(32633)
    two = Raster(
        np.ones((2, 16, 16), np.float32) * 0.1, crs, Affine(10, 0, 0, 0, -10, 0), ("B04", "B08")
    )
    with pytest.raises(ImageryError, match="needs the bands"):
        enhance(two, "decrappify")
    tiny = Raster(area.data[:, :4, :4], area.crs, area.transform, area.bands)
    with pytest.raises(ImageryError, match="at least 8 x 8"):
        enhance(tiny, "bicubic")
    with pytest.raises(ImageryError, match="unknown preset"):
        enhance(area, "dip", preset="slow")
    monkeypatch.setenv("SR_DECRAPPIFY_WEIGHTS", str(tmp_path / "missing.pt"))
    with pytest.raises(ImageryError, match="weights not found"):
        enhance(area, "decrappify")
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint")
    monkeypatch.setenv("SR_DECRAPPIFY_WEIGHTS", str(tmp_path / "junk.pt"))
    with pytest.raises(ImageryError):
        enhance(area, "decrappify")


def test_consistency_flags_what_the_satellite_did_not_see(area):
    good = enhance(area, "bicubic", 4, "cpu")
    shifted = Raster(np.roll(good.data, 12, axis=2), good.crs, good.transform, good.bands)
    assert float(np.nanmean(consistency(area, shifted).data)) > 2 * float(
        np.nanmean(consistency(area, good).data)
    )
