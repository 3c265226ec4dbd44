import numpy as np
import pytest
import torch
from affine import Affine

from imagery.geotiff import read_raster
from imagery.raster import Raster
from sr.consistency import (
    colour_bands,
    consistency,
    consistency_step,
    departure,
    keep_colour,
    make_consistent,
    noise_sigma,
    quiet_detail,
)
from sr.enhance import enhance
from sr.training.metrics import colour_speckle, flat_mask, luminance_noise


def test_consistency_flags_what_the_satellite_did_not_see(area):
    good = enhance(area, "bicubic", 4, "cpu")
    shifted = Raster(np.roll(good.data, 12, axis=2), good.crs, good.transform, good.bands)
    assert float(np.nanmean(consistency(area, shifted).data)) > 2 * float(
        np.nanmean(consistency(area, good).data)
    )


def test_data_consistency_makes_the_result_reproduce_the_measurement(area, tiny_dip):
    lr = torch.from_numpy(area.data)[None]
    before = torch.nn.functional.interpolate(lr, scale_factor=4, mode="bicubic")
    after = make_consistent(before, lr, 4)
    assert departure(before, lr, 4) > 1e-3  # bicubic does not reproduce the 10 m pixels
    assert departure(after, lr, 4) < 0.2 * departure(before, lr, 4)
    # Sigma 0 is the textbook step: every departure goes back, the pixel-sized ones too.
    textbook = make_consistent(before, lr, 4, sigma=0)
    assert departure(textbook, lr, 4, sigma=0) < 0.05 * departure(before, lr, 4, sigma=0)
    consistent = enhance(area, "dip", 4, "cpu")
    free = enhance(area, "dip", 4, "cpu", consistent=False)
    as_tensor = [torch.from_numpy(r.data)[None] for r in (consistent, free)]
    assert departure(as_tensor[0], lr, 4) < 0.2 * departure(as_tensor[1], lr, 4)


def test_the_step_leaves_the_pixel_sized_noise_of_the_measurement_where_it_was(area):
    lr = torch.from_numpy(area.data)[None]
    noisy = lr + 0.004 * torch.randn(lr.shape, generator=torch.Generator().manual_seed(0))
    smooth = torch.nn.functional.interpolate(lr, scale_factor=4, mode="bicubic")

    def pixel_noise(x: torch.Tensor) -> float:  # what the step added at the 2.5 m scale
        return float((x - smooth - torch.nn.functional.avg_pool2d(x - smooth, 5, 1, 2)).std())

    textbook = make_consistent(smooth, noisy, 4, sigma=0)
    assert pixel_noise(make_consistent(smooth, noisy, 4)) < 0.5 * pixel_noise(textbook)


def test_the_colour_is_the_measurements_and_the_brightness_detail_the_enhancements(area):
    lr = torch.from_numpy(area.data)[None]
    bicubic = torch.nn.functional.interpolate(lr, scale_factor=4, mode="bicubic")
    rng = torch.Generator().manual_seed(1)
    sharp = bicubic + 0.02 * torch.randn(bicubic.shape, generator=rng)  # detail and colour noise
    rgb = colour_bands(area.bands)
    assert rgb == [0, 1, 2] and area.bands[3] == "B08"
    out = keep_colour(sharp, lr, 4, rgb)

    def chroma(x: torch.Tensor) -> torch.Tensor:
        return x[:, :3] - x[:, :3].mean(1, keepdim=True)

    assert torch.allclose(chroma(out), chroma(bicubic), atol=1e-6)
    assert torch.allclose(out[:, :3].mean(1), sharp[:, :3].mean(1), atol=1e-6)  # brightness kept
    assert torch.equal(out[:, 3], sharp[:, 3])  # near infrared keeps its own detail
    assert colour_bands(("B08", "B11")) is None and colour_bands(("r", "g", "b")) == [0, 1, 2]


def test_a_real_area_enhanced_for_real_shows_no_more_colour_dots_than_bicubic(area, demo_scene):
    """Real 10 m -> 2.5 m, as annotators see it: the default step keeps bicubic's colour
    speckle; the textbook step (every departure projected back) stamped 3x as much."""
    raster, _ = read_raster(demo_scene, 4096)
    farmland = Raster(
        raster.data[:, 300:396, 700:796].copy(),
        raster.crs,
        raster.transform @ Affine.translation(700, 300),
        raster.bands,
    )
    for real in (area, farmland):
        bicubic = colour_speckle(enhance(real, "bicubic", 4, "cpu").data)
        default = colour_speckle(enhance(real, "decrappify", 4, "cpu").data)
        raw = enhance(real, "decrappify", 4, "cpu", consistent=False)
        lr = torch.from_numpy(real.data)[None]
        textbook = make_consistent(torch.from_numpy(raw.data)[None], lr, 4, sigma=0)
        assert default <= 1.2 * bicubic
        assert colour_speckle(textbook[0].numpy()) > 2 * bicubic


def test_the_noise_estimate_finds_the_noise_added_to_a_smooth_image():
    y, x = np.mgrid[0:128, 0:128] / 128
    smooth = torch.from_numpy(np.stack([0.1 + 0.2 * x * y, 0.3 - 0.1 * y]))[None]
    rng = torch.Generator().manual_seed(0)
    noise = torch.randn(smooth.shape, generator=rng, dtype=smooth.dtype)
    noisy = smooth + noise * torch.tensor([0.002, 0.01], dtype=smooth.dtype).view(1, 2, 1, 1)
    assert noise_sigma(noisy)[0].tolist() == pytest.approx([0.002, 0.01], rel=0.05)
    assert float(noise_sigma(smooth).max()) < 1e-4


def test_quieting_fades_detail_at_the_noise_level_and_keeps_a_field_border():
    """A 10 m image of two fields with noise; the "enhancement" adds a sharp border and grain of
    the noise's size everywhere. The grain is about halved in the fields; the border stays."""
    rng = torch.Generator().manual_seed(2)
    lr = torch.full((1, 3, 32, 32), 0.1)
    lr[..., 16:] = 0.2
    lr = lr + 0.003 * torch.randn(lr.shape, generator=rng)
    bicubic = torch.nn.functional.interpolate(lr, scale_factor=4, mode="bicubic")
    border = torch.zeros(1, 1, 128, 128)
    border[..., 60:64], border[..., 64:68] = -0.03, 0.03  # sharpens the step at x = 64
    grain = 0.003 * torch.randn(1, 1, 128, 128, generator=rng)
    sr = bicubic + border + grain
    out = quiet_detail(sr, lr, 4, [0, 1, 2])
    kept = (out - bicubic)[0, 0]
    assert float(kept[:, 8:48].std()) < 0.6 * float(grain[0, 0, :, 8:48].std())  # in a field
    assert float(kept[:, 60:68].abs().mean()) > 0.8 * 0.03  # at the border
    assert torch.equal(quiet_detail(sr, lr, 4, [0, 1, 2], strength=0), sr)


def test_a_real_area_enhanced_for_real_has_less_grain_in_flat_areas_and_still_its_detail(area):
    """The default step's quieting: less brightness grain in the flat third of a real area
    than the same step without it, and most of the detail Decrappify adds elsewhere kept."""
    lr = torch.from_numpy(area.data)[None]
    raw = torch.from_numpy(enhance(area, "decrappify", 4, "cpu", consistent=False).data)[None]
    rgb = colour_bands(area.bands)
    loud = keep_colour(make_consistent(raw, lr, 4), lr, 4, rgb)
    default = consistency_step(raw, lr, 4, area.bands)
    assert torch.equal(default, quiet_detail(loud, lr, 4, rgb))
    bicubic = enhance(area, "bicubic", 4, "cpu").data
    flat = flat_mask(bicubic)
    assert luminance_noise(default[0].numpy(), flat) < 0.9 * luminance_noise(loud[0].numpy(), flat)
    busy = torch.from_numpy(~flat)

    def added(x: torch.Tensor) -> float:  # brightness detail over bicubic, off the flat third
        return float((x - torch.from_numpy(bicubic)[None])[0, :3].mean(0)[busy].abs().mean())

    assert 0.6 * added(loud) < added(default) < added(loud)
