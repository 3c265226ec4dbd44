import json
import random
from dataclasses import replace

import numpy as np
import pytest
import rasterio
import torch

from imagery.errors import ImageryError
from sr.consistency import make_consistent
from sr.decrappify import load_model
from sr.degrade import downsample, gaussian_kernel
from sr.training.train import (
    TrainConfig,
    Validation,
    _loss,
    _psnr,
    augment_pair,
    load_reflectance,
    sample,
    train,
)
from tests.conftest import write_tif
from tests.sr.training.conftest import tiny_training


def test_training_command_writes_a_loadable_checkpoint_and_its_record(tmp_path, demo_scene):
    with rasterio.open(demo_scene) as ds:
        data = ds.read(window=((0, 160), (0, 400)))
    src = write_tif(tmp_path / "train.tif", data)
    out = tmp_path / "w" / "model.pt"
    record = train(tiny_training(src, out))
    assert out.is_file() and record["steps"] == 4
    saved = json.loads(out.with_suffix(".json").read_text())
    assert saved["config"]["images"] == [str(src)] and len(saved["sha256"]) == 64
    lines = out.with_suffix(".log.jsonl").read_text().splitlines()
    assert [json.loads(x)["step"] for x in lines] == [2, 4]
    model = load_model(out, "cpu")
    x = torch.rand(1, 4, 32, 32) * 0.3
    assert model(x).shape == x.shape


def test_training_refuses_the_held_out_file(austria, tmp_path):
    with pytest.raises(ValueError, match="held out"):
        train(TrainConfig(images=(str(austria),), out=str(tmp_path / "m.pt"), steps=1))


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


def test_validation_scores_the_output_as_it_is_and_after_the_consistency_step(tmp_path, demo_scene):
    """A checkpoint is chosen on both ways the app runs it: an identity model scores as its
    input, and after the step as its input followed by the step (no gain either way)."""
    with rasterio.open(demo_scene) as ds:
        image = load_reflectance(
            write_tif(tmp_path / "v.tif", ds.read(window=((0, 160), (0, 160))))
        )
    cfg = tiny_training(tmp_path / "v.tif", tmp_path / "m.pt", val_patches=4)
    validation = Validation(cfg, [image], (torch.empty(0),) * 3)
    inp, lr, hr = validation.sets["val_psnr"]
    scores = validation(torch.nn.Identity(), torch.device("cpu"))
    assert scores["val_psnr"] == _psnr(inp, hr) == validation.inputs["val_psnr"]
    assert scores["val_psnr_step"] == _psnr(make_consistent(inp, lr, cfg.scale), hr)
    assert scores["val_psnr_step"] != scores["val_psnr"] and validation.gain(scores) == 0
    doubled = validation(Scale(2.0), torch.device("cpu"))
    assert doubled["val_psnr"] < scores["val_psnr"] and validation.gain(doubled) < 0


class Scale(torch.nn.Module):
    def __init__(self, factor: float):
        super().__init__()
        self.factor = factor

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.factor


def test_the_loss_weighs_the_raw_output_and_the_output_after_the_step(tmp_path):
    """With weight 0 the loss is the raw output's; with 1 the output's after the step; a blend
    between: the raw term is what keeps the output usable with the step switched off."""
    hr = torch.rand(2, 4, 32, 32) * 0.3
    lr = downsample(hr, gaussian_kernel(4), 4)
    inp = torch.nn.functional.interpolate(lr, scale_factor=4, mode="bicubic")
    l1 = lambda out, target: (out - target).abs().mean()  # noqa: E731
    cfg = tiny_training(tmp_path / "x.tif", tmp_path / "m.pt")
    losses = {
        w: float(_loss(torch.nn.Identity(), l1, (inp, lr, hr), replace(cfg, consistent_weight=w)))
        for w in (0.0, 0.5, 1.0)
    }
    assert losses[0.0] == pytest.approx(float(l1(inp, hr)))
    assert losses[1.0] == pytest.approx(float(l1(make_consistent(inp, lr, 4), hr)))
    assert losses[0.5] == pytest.approx((losses[0.0] + losses[1.0]) / 2)
    assert losses[1.0] < losses[0.0]  # the exact sensor blur: the step recovers detail


def test_a_turned_pair_keeps_its_measurement():
    """Flips and rotations of a target, its input and its measurement stay a true triple."""
    hr = torch.rand(4, 32, 32)
    lr = downsample(hr[None], gaussian_kernel(4), 4)[0]
    for seed in range(8):
        t_hr, t_lr, t_inp = augment_pair(hr, lr, hr * 2, rng=random.Random(seed))
        torch.testing.assert_close(downsample(t_hr[None], gaussian_kernel(4), 4)[0], t_lr)
        torch.testing.assert_close(t_inp, t_hr * 2)
