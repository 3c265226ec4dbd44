import numpy as np
import pytest
import torch
from shapely.geometry import shape

from imagery.local import scenes_in_file
from imagery.read import read_area
from sr.degrade import degrade_raster, downsample, gaussian_kernel, kernel_for, lanczos2_kernel


@pytest.mark.parametrize("kernel", [lanczos2_kernel(4), gaussian_kernel(4, 2.0)])
def test_kernels_are_normalised_and_symmetric(kernel):
    assert kernel.shape == (16, 16)
    assert torch.isclose(kernel.sum(), torch.tensor(1.0))
    assert torch.allclose(kernel, kernel.flip(0)) and torch.allclose(kernel, kernel.T)


def test_lanczos_has_its_negative_lobes_and_gaussian_has_none():
    taps = lanczos2_kernel(4).sum(dim=0)
    assert taps.argmax() in (7, 8) and taps[7] == pytest.approx(float(taps[8]))
    assert (taps[:4] < 0).all() and (taps[12:] < 0).all()  # the outer lobe, beyond 1 low-res px
    assert (gaussian_kernel(4).sum(dim=0) > 0).all()


@pytest.mark.parametrize("kind", ["lanczos", "gaussian"])
def test_downsampling_keeps_grids_aligned(kind):
    hr = torch.zeros(1, 1, 64, 64)
    hr[..., 24:28, 36:40] = 1.0  # exactly low-resolution pixel (6, 9)
    lr = downsample(hr, kernel_for(kind, 4), 4)[0, 0]
    assert lr.shape == (16, 16)
    assert np.unravel_index(int(lr.argmax()), lr.shape) == (6, 9)
    assert torch.allclose(lr[5:8, 8:11], lr[5:8, 8:11].flip(0).flip(1), atol=1e-6)
    flat = downsample(torch.full((1, 2, 32, 32), 0.2), kernel_for(kind, 4), 4)
    assert torch.allclose(flat, torch.tensor(0.2))


def test_bad_sizes_and_names():
    with pytest.raises(ValueError, match="not a multiple of 4"):
        downsample(torch.zeros(1, 1, 30, 32), lanczos2_kernel(4), 4)
    with pytest.raises(ValueError, match="unknown degradation"):
        kernel_for("box", 4)


def test_degraded_raster_keeps_the_ground_extent(austria):
    scene = scenes_in_file(austria)[0]
    hr = read_area(scene, shape(scene.footprint).bounds, max_size=4096)
    lr = degrade_raster(hr, "lanczos", 4)
    assert lr.resolution == 40 and lr.transform.c == hr.transform.c
    assert lr.width == hr.width // 4
