import json
from dataclasses import replace

import pytest
import rasterio
import torch

from imagery.raster import BANDS
from sr.consistency import consistency_step
from sr.decrappify import load_model
from sr.degrade import downsample, gaussian_kernel
from sr.training.data import load_reflectance
from sr.training.train import TrainConfig, Validation, _loss, _psnr, train
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
    assert scores["val_psnr_step"] == _psnr(consistency_step(inp, lr, cfg.scale, BANDS), hr)
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
    assert losses[1.0] == pytest.approx(float(l1(consistency_step(inp, lr, 4, BANDS), hr)))
    assert losses[0.5] == pytest.approx((losses[0.0] + losses[1.0]) / 2)
    assert losses[1.0] < losses[0.0]  # the exact sensor blur: the step recovers detail
