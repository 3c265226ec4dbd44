import numpy as np
import pytest
import torch

from sr.degrade import downsample, lanczos2_kernel
from sr.dip import PRESETS, DipConfig, fit

TINY = DipConfig(
    channels=8,
    scales=2,
    skip_channels=2,
    input_channels=8,
    iterations=120,
    check_every=20,
    preview_every=40,
)


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


def test_plateau_ends_the_fit_early_on_a_flat_image():
    lr = torch.full((1, 4, 8, 8), 0.1)
    cfg = DipConfig(**{**TINY.__dict__, "iterations": 2000, "check_every": 25})
    result = fit(lr, 4, cfg)
    assert result.stopped_by == "plateau" and result.iterations < 2000
    assert result.iterations % 25 == 0


@pytest.mark.slow
def test_fast_preset_on_a_real_crop_stays_close_to_the_input(austria):
    import rasterio

    with rasterio.open(austria) as ds:
        hr = torch.from_numpy(ds.read([1, 2, 3, 4], window=((100, 228), (200, 328))) / 1e4).float()
    lr = downsample(hr[None], lanczos2_kernel(4), 4)
    result = fit(lr, 4, PRESETS["fast"])
    assert 10 * torch.log10(1 / torch.nn.functional.mse_loss(result.image, hr[None])) > 32
