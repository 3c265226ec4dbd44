import random

import numpy as np
import pytest
import torch

from imagery.errors import ImageryError
from sr.degrade import downsample, gaussian_kernel
from sr.training.data import augment_pair, load_reflectance, sample
from tests.conftest import write_tif


def bands_of(values: dict[str, int], shape=(6, 5)) -> np.ndarray:
    """A uint16 stack with one constant digital number per band, in the dict's order."""
    return np.stack([np.full(shape, v, np.uint16) for v in values.values()])


def test_load_reflectance_orders_bands_by_description_and_makes_nodata_nan(tmp_path):
    values = {"B08": 3000, "B11": 2500, "B02": 400, "B04": 600, "B03": 800}
    data = bands_of(values)
    data[:, 0, 0] = 0  # nodata
    path = write_tif(tmp_path / "shuffled.tif", data, descriptions=tuple(values))
    refl = load_reflectance(path)
    assert refl.shape == (4, 6, 5) and refl.dtype == np.float32
    np.testing.assert_allclose(refl[:, 1, 1], [0.06, 0.08, 0.04, 0.3], rtol=1e-6)
    assert np.isnan(refl[:, 0, 0]).all() and np.isfinite(refl[:, 1:]).all()


def test_load_reflectance_reads_a_file_without_descriptions_as_the_first_four_bands(tmp_path):
    data = bands_of({"a": 600, "b": 800, "c": 400, "d": 3000, "e": 9999})
    path = write_tif(tmp_path / "plain.tif", data, descriptions=None)
    np.testing.assert_allclose(load_reflectance(path)[:, 2, 2], [0.06, 0.08, 0.04, 0.3], rtol=1e-6)


def test_load_reflectance_refuses_a_file_missing_a_band(tmp_path):
    data = bands_of({"B04": 600, "B03": 800, "B02": 400, "B11": 2500})
    path = write_tif(tmp_path / "no_nir.tif", data, descriptions=("B04", "B03", "B02", "B11"))
    with pytest.raises(ImageryError, match="lacks one of the bands"):
        load_reflectance(path)


@pytest.mark.parametrize("augment", [False, True])
def test_sample_never_returns_a_patch_with_nodata(augment):
    image = np.full((4, 40, 40), np.nan, np.float32)
    image[:, 10:30, 5:25] = np.linspace(0.05, 0.3, 400, dtype=np.float32).reshape(20, 20)
    rng = random.Random(0)
    for _ in range(50):
        patch = sample([image], 8, rng, augment)
        assert patch.shape == (4, 8, 8) and patch.dtype == torch.float32
        assert torch.isfinite(patch).all()
        assert float(patch.min()) >= 0.05 * 0.9 - 1e-6
        assert float(patch.max()) <= 0.3 * 1.1 + 1e-6


def test_sample_refuses_images_without_a_clean_patch():
    image = np.full((4, 16, 16), 0.1, np.float32)
    image[:, ::4, :] = np.nan  # every 8 x 8 window holds a nodata row
    with pytest.raises(ImageryError, match="mostly nodata"):
        sample([image], 8, random.Random(0), False)


def test_a_turned_pair_keeps_its_measurement():
    """Flips and rotations of a target, its input and its measurement stay a true triple."""
    hr = torch.rand(4, 32, 32)
    lr = downsample(hr[None], gaussian_kernel(4), 4)[0]
    for seed in range(8):
        t_hr, t_lr, t_inp = augment_pair(hr, lr, hr * 2, rng=random.Random(seed))
        torch.testing.assert_close(downsample(t_hr[None], gaussian_kernel(4), 4)[0], t_lr)
        torch.testing.assert_close(t_inp, t_hr * 2)
