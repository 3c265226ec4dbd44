from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from scipy import ndimage

from sr.training.metrics import (
    colour_speckle,
    correctness,
    cross_sensor,
    flat_mask,
    gmsd,
    grid_score,
    harmonise,
    luminance,
    luminance_noise,
    psnr,
    register,
    register_reference,
    sam,
    shift_image,
    ssim,
)


def bicubic_of_demo(demo_scene: Path, size: int = 40) -> np.ndarray:
    """``(4, 4 size, 4 size)`` bicubic x4 of a real farmland crop of the demo scene (R, G, B,
    NIR): what a real-use output looks like without anything added."""
    from imagery.geotiff import read_bands

    data, _, _ = read_bands(demo_scene)
    lr = torch.from_numpy(data[:, 300 : 300 + size, 700 : 700 + size].astype(np.float64))
    return F.interpolate(lr[None], scale_factor=4, mode="bicubic", align_corners=False)[0].numpy()


def test_metrics_on_known_cases():
    rng = np.random.default_rng(0)
    ref = rng.uniform(0.05, 0.3, (4, 40, 40))
    assert psnr(ref + 0.01, ref) == pytest.approx(40.0)
    assert ssim(ref, ref) == pytest.approx(1.0)
    assert ssim(ref + rng.normal(0, 0.05, ref.shape), ref) < 0.9
    assert sam(ref * 1.7, ref) == pytest.approx(0.0, abs=1e-3)  # brightness does not change angle
    assert gmsd(ref, ref) == pytest.approx(0.0)
    blurred = (ref + np.roll(ref, 1, 1) + np.roll(ref, 1, 2)) / 3
    assert gmsd(blurred, ref) > 0.01


def test_grid_score_finds_a_pattern_fixed_to_the_4_x_4_grid(demo_scene):
    from imagery.geotiff import read_bands

    data, _, _ = read_bands(demo_scene)
    real = data[:, 300:428, 700:828]  # real 10 m pixels: no x4 grid in them
    assert grid_score(real) < 5
    stamp = np.tile(
        np.array([[1.0, -1, 0, 0], [0, 0, 1, -1], [-1, 1, 0, 0], [0, 0, -1, 1]]), (32, 32)
    )
    assert grid_score(real + 0.01 * stamp) > 20  # a dot texture of 0.01 reflectance shows
    assert grid_score(stamp[None]) > 95


def test_colour_speckle_counts_coloured_dots_and_not_grey_ones(demo_scene):
    bic = bicubic_of_demo(demo_scene)
    rng = np.random.default_rng(1)
    base = colour_speckle(bic)
    assert colour_speckle(bic) / base == 1.0  # bicubic against itself: ratio 1
    assert 0 < base < 0.002  # bicubic of real 10 m pixels is smooth at 2.5 m
    coloured = bic + rng.normal(0, 0.005, bic.shape)  # independent noise in each band
    assert colour_speckle(coloured) / base > 3
    grey = bic + rng.normal(0, 0.005, bic.shape[1:])  # the same noise in every band
    assert colour_speckle(grey) == pytest.approx(base, rel=1e-9)
    dots = bic.copy()
    dots[0, ::4, ::4] += 0.02  # a red dot every 10 m pixel
    assert colour_speckle(dots) / base > 2


def test_luminance_noise_is_measured_on_the_flat_third(demo_scene):
    bic = bicubic_of_demo(demo_scene)
    mask = flat_mask(bic)
    inside = mask[4:-4, 4:-4]
    assert inside.mean() == pytest.approx(1 / 3, abs=0.01)
    assert not mask[:4].any() and not mask[:, -4:].any()
    gy, gx = np.gradient(luminance(bic))
    grad = np.hypot(gy, gx)
    assert grad[mask].mean() < 0.5 * grad[~mask].mean()
    base = luminance_noise(bic, mask)
    rng = np.random.default_rng(2)
    noisy = bic + rng.normal(0, 0.003, bic.shape[1:])
    assert luminance_noise(noisy, mask) / base > 3
    n = rng.normal(0, 0.003, bic.shape[1:])
    chroma_only = bic + np.stack([n, -n, np.zeros_like(n), np.zeros_like(n)])  # R + G unchanged
    assert luminance_noise(chroma_only, mask) == pytest.approx(base, rel=1e-9)


def test_nodata_is_left_out_and_a_tiny_image_is_refused(demo_scene):
    bic = bicubic_of_demo(demo_scene)
    holed = bic.copy()
    holed[:, 60:70, 60:70] = np.nan
    assert np.isfinite(colour_speckle(holed))
    with pytest.raises(ValueError, match="larger area"):
        colour_speckle(bic[:, :8, :8])


@pytest.mark.parametrize("shift", [(1.3, -0.7), (-0.25, 0.45), (3.6, 2.1)])
def test_registration_recovers_a_known_shift_to_a_tenth_of_a_pixel(demo_scene, shift):
    big = bicubic_of_demo(demo_scene, 56)
    moved = shift_image(big, shift)
    ref, moving = big[:, 32:-32, 32:-32], moved[:, 32:-32, 32:-32]  # no wrap-around left
    dy, dx = register(luminance(moving), luminance(ref))
    assert (dy, dx) == (pytest.approx(-shift[0], abs=0.1), pytest.approx(-shift[1], abs=0.1))
    # as against another sensor: a sharper reference of other colours, the output blurred
    sharp = moving * np.array([1.6, 1.3, 1.1, 0.8])[:, None, None] + 0.04
    out = np.stack(
        [np.asarray(F.avg_pool2d(torch.from_numpy(b)[None, None], 3, 1, 1)[0, 0]) for b in ref]
    )
    dy, dx = register_reference(out, sharp)
    assert (dy, dx) == (pytest.approx(-shift[0], abs=0.1), pytest.approx(-shift[1], abs=0.1))


def test_harmonisation_undoes_a_gain_and_offset(demo_scene):
    out = bicubic_of_demo(demo_scene)
    ref = (
        out * np.array([1.7, 0.6, 2.0, 1.1])[:, None, None]
        + np.array([0.05, -0.01, 0.2, 0])[:, None, None]
    )
    assert np.abs(harmonise(ref, out) - out).max() < 1e-9


def test_cross_sensor_rewards_the_reference_detail_and_not_noise(demo_scene):
    truth = bicubic_of_demo(demo_scene, 48)[:3]
    other_sensor = shift_image(truth, (0.8, -1.4)) * np.array([2.0, 1.5, 1.2])[:, None, None]
    same = cross_sensor(truth, other_sensor)
    assert same.shift == (pytest.approx(-0.8, abs=0.1), pytest.approx(1.4, abs=0.1))
    assert same.psnr > 50 and same.detail > 0.95
    blurred = np.stack(
        [np.asarray(F.avg_pool2d(torch.from_numpy(b)[None, None], 5, 1, 2)[0, 0]) for b in truth]
    )
    rng = np.random.default_rng(3)
    noisy = truth + rng.normal(0, 0.003, truth.shape)
    for worse in (cross_sensor(blurred, other_sensor), cross_sensor(noisy, other_sensor)):
        assert worse.psnr < same.psnr - 10
    assert cross_sensor(blurred, other_sensor).psnr_s2 > cross_sensor(blurred, other_sensor).psnr
    assert abs(cross_sensor(rng.normal(0.1, 0.01, truth.shape), other_sensor).detail) < 0.1


def test_correctness_calls_bicubic_omission_the_truth_improvement_and_invention_hallucination():
    rng = np.random.default_rng(3)
    truth = rng.uniform(0.05, 0.3, (3, 64, 64))
    bicubic = ndimage.gaussian_filter(truth, (0, 2, 2))
    keep = np.ones((64, 64), dtype=bool)
    invented = bicubic + rng.normal(0, 0.05, truth.shape)
    assert correctness(bicubic, bicubic, truth, keep) == (0.0, 1.0, 0.0)
    improved, _, hallucinated = correctness(truth, bicubic, truth, keep)
    assert improved > 0.9 and hallucinated < 0.05
    improved, _, hallucinated = correctness(invented, bicubic, truth, keep)
    assert hallucinated > 0.5 and improved < 0.3
