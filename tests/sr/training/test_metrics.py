import numpy as np
import pytest

from sr.training.metrics import gmsd, grid_score, psnr, sam, ssim


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
