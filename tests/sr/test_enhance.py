import numpy as np
import pytest
from affine import Affine
from rasterio.crs import CRS

from imagery.geotiff import read_raster
from imagery.raster import Raster
from settings import SHIPPED_WEIGHTS as DEFAULT_WEIGHTS
from sr.consistency import consistency
from sr.enhance import (
    PIPELINES,
    Progress,
    enhance,
    estimate_seconds,
    model_version,
    result_name,
    uses_dip,
)
from sr.errors import EnhanceError
from sr.training.metrics import grid_score

UTM = CRS.from_epsg(32633)


def tiny(data: np.ndarray) -> Raster:
    return Raster(data.astype(np.float32), UTM, Affine(10, 0, 400000, 0, -10, 5800000))


def test_bicubic_x4_scales_grid_and_keeps_values():
    rng = np.random.default_rng(0)
    raster = tiny(rng.uniform(0.05, 0.3, (4, 12, 10)))
    steps: list[Progress] = []
    out = enhance(raster, "bicubic", 4, "cpu", steps.append)
    assert out.data.shape == (4, 48, 40) and out.data.dtype == np.float32
    assert out.transform == Affine(2.5, 0, 400000, 0, -2.5, 5800000)
    assert out.bounds == raster.bounds and out.crs == raster.crs and out.bands == raster.bands
    # Averaging each 4 x 4 block gives back roughly the input (interpolation, not invention).
    blocks = out.data.reshape(4, 12, 4, 10, 4).mean(axis=(2, 4))
    assert np.abs(blocks - raster.data).mean() < 0.02
    assert steps[-1].fraction == 1.0


@pytest.mark.parametrize("pipeline", list(PIPELINES))
def test_every_pipeline_returns_a_georeferenced_x4_raster(area, tiny_dip, pipeline):
    steps: list[Progress] = []
    out = enhance(area, pipeline, 4, "cpu", steps.append, preset="fast")
    assert out.data.shape == (4, 4 * area.height, 4 * area.width)
    assert out.transform == area.transform @ Affine.scale(0.25)
    assert out.crs == area.crs and out.bands == area.bands
    assert np.isfinite(out.data).all() and (out.data >= 0).all()
    assert steps[-1].fraction == 1.0
    # Each enhanced image, blurred and sampled back to 10 m, reproduces what was measured: the
    # data-consistency step ends every pipeline but the bicubic baseline.
    departure = float(np.nanmean(consistency(area, out).data))
    assert departure < (0.01 if pipeline == "bicubic" else 0.002)
    if uses_dip(pipeline):
        assert any(s.preview is not None for s in steps)


def test_what_names_a_result():
    assert [p for p in PIPELINES if uses_dip(p)] == ["dip", "dip+decrappify"]
    assert not uses_dip("no-such-pipeline")
    # a chain's first stage is the pipeline of that stage: dip+decrappify shares dip's fit
    assert result_name("dip+decrappify", "fast")[:3] == result_name("dip", "fast")
    assert result_name("dip", "fast") != result_name("dip", "quality")
    assert result_name("decrappify", "fast") == result_name("decrappify", "quality")  # no DIP
    assert result_name("dip", scale=2) != result_name("dip", scale=4)
    assert result_name("dip", consistent=True) != result_name("dip", consistent=False)
    assert result_name("bicubic", consistent=True) == result_name("bicubic", consistent=False)
    assert model_version("decrappify") in result_name("decrappify")


def test_shipped_model_is_recorded_by_version():
    assert DEFAULT_WEIGHTS.is_file()
    assert model_version("bicubic") is None
    assert len(model_version("dip+decrappify") or "") == 12


def test_nodata_stays_nodata_and_does_not_spread():
    data = np.full((4, 8, 8), 0.2)
    data[:, 2, 3] = np.nan
    out = enhance(tiny(data), "bicubic", 4, "cpu")
    assert np.isnan(out.data[:, 8:12, 12:16]).all()
    assert np.isfinite(out.data).sum() == 4 * (32 * 32 - 16)
    np.testing.assert_allclose(out.data[np.isfinite(out.data)], 0.2, atol=1e-5)


def test_nodata_stays_nodata_in_learned_pipelines(area):
    data = area.data.copy()
    data[:, :3, :] = np.nan
    holed = Raster(data, area.crs, area.transform, area.bands)
    out = enhance(holed, "decrappify", 4, "cpu")
    assert np.isnan(out.data[:, :12]).all() and np.isfinite(out.data[:, 12:]).all()


def test_bad_requests_are_refused():
    with pytest.raises(EnhanceError, match="unknown pipeline 'magic'"):
        enhance(tiny(np.ones((4, 4, 4))), "magic")
    with pytest.raises(EnhanceError, match="no valid pixel"):
        enhance(tiny(np.full((4, 8, 8), np.nan)))


def test_bad_requests_get_clear_messages(area, monkeypatch, tmp_path):
    crs = CRS.from_epsg(32633)
    two = Raster(
        np.ones((2, 16, 16), np.float32) * 0.1, crs, Affine(10, 0, 0, 0, -10, 0), ("B04", "B08")
    )
    with pytest.raises(EnhanceError, match="needs the bands"):
        enhance(two, "decrappify")
    tiny = Raster(area.data[:, :4, :4], area.crs, area.transform, area.bands)
    with pytest.raises(EnhanceError, match="at least 8 x 8"):
        enhance(tiny, "bicubic")
    with pytest.raises(EnhanceError, match="unknown preset"):
        enhance(area, "dip", preset="slow")
    monkeypatch.setenv("SR_DECRAPPIFY_WEIGHTS", str(tmp_path / "missing.pt"))
    with pytest.raises(EnhanceError, match="weights not found"):
        enhance(area, "decrappify")
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint")
    monkeypatch.setenv("SR_DECRAPPIFY_WEIGHTS", str(tmp_path / "junk.pt"))
    with pytest.raises(EnhanceError):
        enhance(area, "decrappify")


def test_a_true_colour_image_without_near_infrared_is_refined_too(area):
    rgb = Raster(area.data[:3], area.crs, area.transform, ("band1", "band2", "band3"))
    out = enhance(rgb, "decrappify", 4, "cpu")
    assert out.bands == rgb.bands and np.isfinite(out.data).all()
    with_nir = enhance(area, "decrappify", 4, "cpu").data[:3]
    bicubic = enhance(rgb, "bicubic", 4, "cpu").data

    def error(x: np.ndarray) -> float:
        return float(np.abs(x - with_nir).mean())

    assert error(out.data) < 0.5 * error(bicubic)  # close to what the real band gives
    bgr = Raster(area.data[2::-1], area.crs, area.transform, ("B02", "B03", "B04"))
    with pytest.raises(EnhanceError, match="red, green, blue"):
        enhance(bgr, "decrappify")


@pytest.mark.parametrize("pipeline", ["bicubic", "decrappify"])
def test_no_grid_texture_on_a_real_area_enhanced_for_real(demo_scene, pipeline):
    """The shipped model must not stamp a pattern on every 4 x 4 block (it did: 30 %)."""
    raster, _ = read_raster(demo_scene, 4096)
    y, x = 300, 700  # farmland of the demo scene, 10 m -> 2.5 m for real
    area = Raster(
        raster.data[:, y : y + 96, x : x + 96].copy(),
        raster.crs,
        raster.transform @ Affine.translation(x, y),
        raster.bands,
    )
    out = enhance(area, pipeline, 4, "cpu")
    assert grid_score(out.data) <= 5.0


def test_the_time_estimate_counts_tiles_and_iterations(tiny_dip, monkeypatch):
    import sr.dip

    def cost(cfg, bands, height, width, scale, device):  # 1 s per million output pixels
        return height * width * scale**2 * 1e-6

    monkeypatch.setattr(sr.dip, "iteration_seconds", cost)
    iterations = sr.dip.PRESETS["fast"].iterations
    assert estimate_seconds(64, 64, "bicubic") == 0 == estimate_seconds(64, 64, "decrappify")
    one_tile = estimate_seconds(64, 64, "dip")
    assert one_tile == pytest.approx(256 * 256 * 1e-6 * iterations)
    # 256 px are 2 x 2 tiles of 132 px (8 px shared), each 528 px a side at x4
    assert estimate_seconds(256, 256, "dip+decrappify") == pytest.approx(
        4 * 528 * 528 * 1e-6 * iterations
    )
