from dataclasses import replace

import numpy as np
import pytest
import torch

from sr.degrade import downsample, gaussian_kernel, lanczos2_kernel
from sr.dip import PRESETS, DipConfig, fit, iteration_seconds
from tests.sr.conftest import TINY as TINY_FIT

TINY = replace(TINY_FIT, iterations=120, preview_every=40)


def smooth_image(seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(1, 4, 8, 8, generator=g) * 0.3
    return torch.nn.functional.interpolate(x, size=(32, 32), mode="bilinear", align_corners=False)


def test_fit_lowers_the_low_resolution_loss_and_reports_previews():
    hr = smooth_image()
    lr = downsample(hr, lanczos2_kernel(4), 4)
    steps = []
    result = fit(lr, 4, TINY, steps.append)
    assert result.image.shape == (1, 4, 32, 32)
    assert np.mean(result.losses[-20:]) < 0.2 * np.mean(result.losses[:20])
    previews = [s for s in steps if s.preview is not None]
    assert previews and previews[0].preview.shape == (4, 32, 32)
    assert [s.iteration for s in steps] == list(range(1, result.iterations + 1))
    # the fitted image, degraded again, is close to the input
    back = downsample(result.image, lanczos2_kernel(4), 4)
    assert torch.nn.functional.mse_loss(back, lr) < 0.1 * lr.var()


def test_seeded_fits_repeat_on_the_same_device():
    lr = downsample(smooth_image(1), lanczos2_kernel(4), 4)
    cfg = DipConfig(**{**TINY.__dict__, "iterations": 30})
    a, b = fit(lr, 4, cfg), fit(lr, 4, cfg)
    assert torch.equal(a.image, b.image)
    c = fit(lr, 4, DipConfig(**{**cfg.__dict__, "seed": 1}))
    assert not torch.equal(a.image, c.image)


def test_published_preset_is_the_papers_set_up_and_runs_to_the_end():
    p = PRESETS["published"]
    assert (p.channels, p.scales, p.skip_channels, p.input_channels) == (128, 5, 4, 32)
    assert (p.iterations, p.lr, p.reg_noise, p.kernel, p.upsample) == (
        2000,
        0.01,
        0.03,
        "lanczos",
        1,
    )


def test_a_network_at_half_the_output_size_still_gives_the_full_size():
    lr = downsample(smooth_image(2), lanczos2_kernel(4), 4)
    result = fit(lr, 4, DipConfig(**{**TINY.__dict__, "iterations": 5, "upsample": 2}))
    assert result.image.shape == (1, 4, 32, 32)


def test_a_residual_fit_improves_on_bicubic():
    hr = smooth_image(3)
    lr = downsample(hr, gaussian_kernel(4), 4)
    bicubic = torch.nn.functional.interpolate(lr, scale_factor=4, mode="bicubic")
    cfg = replace(TINY, residual=True, kernel="gaussian", iterations=80)
    result = fit(lr, 4, cfg)
    mse = torch.nn.functional.mse_loss
    assert mse(downsample(result.image, gaussian_kernel(4), 4), lr) < 0.5 * mse(
        downsample(bicubic, gaussian_kernel(4), 4), lr
    )


def test_the_cost_of_an_iteration_is_measured():
    seconds = iteration_seconds(TINY, 4, 32, 32, 4, torch.device("cpu"))
    assert 0 < seconds < 5


@pytest.mark.slow
def test_fast_preset_on_a_real_crop_beats_bicubic(austria):
    import rasterio

    with rasterio.open(austria) as ds:
        hr = torch.from_numpy(ds.read([1, 2, 3, 4], window=((100, 228), (200, 328))) / 1e4).float()
    lr = downsample(hr[None], gaussian_kernel(4), 4)  # the sensor-like blur the preset assumes
    result = fit(lr, 4, PRESETS["fast"])
    bicubic = torch.nn.functional.interpolate(lr, scale_factor=4, mode="bicubic")
    mse = torch.nn.functional.mse_loss
    gain_db = 10 * torch.log10(mse(bicubic, hr[None]) / mse(result.image, hr[None]))
    assert gain_db > 0.5  # +1.1 to +1.3 dB on the bench's crops
