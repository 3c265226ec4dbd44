import json
from dataclasses import replace

import numpy as np
import pytest
import rasterio

import sr.dip
from sr.degrade import downsample, gaussian_kernel
from sr.training.data import load_pairs
from sr.training.dip_dataset import build
from sr.training.train import train
from tests.conftest import write_tif
from tests.sr.conftest import TINY
from tests.sr.training.conftest import tiny_training


def test_pairs_are_written_and_a_rerun_resumes_without_refitting(tmp_path, demo_scene, monkeypatch):
    with rasterio.open(demo_scene) as ds:
        src = write_tif(tmp_path / "t.tif", ds.read(window=((0, 96), (0, 96))))
    monkeypatch.setitem(sr.dip.PRESETS, "fast", TINY)
    fits = []
    real_fit = sr.dip.fit
    monkeypatch.setattr(sr.dip, "fit", lambda *a, **k: fits.append(1) or real_fit(*a, **k))
    out = tmp_path / "pairs.npz"
    build(out, patches=2, images=[str(src)], patch=32)
    hr, lr, dip = load_pairs(out)
    assert hr.shape == dip.shape == (2, 4, 32, 32) and lr.shape == (2, 4, 8, 8)
    assert len(fits) == 2
    assert np.isfinite(dip.numpy()).all() and (dip.numpy() >= 0).all()
    # DIP was fitted to the stored measurement: its output degraded comes close to it
    back = downsample(dip, gaussian_kernel(4), 4)
    assert (back - lr).abs().mean() < 0.5 * (lr - lr.mean()).abs().mean()
    build(out, patches=3, images=[str(src)], patch=32)  # one more pair, the first two kept
    hr3, lr3, _ = load_pairs(out)
    assert len(fits) == 3 and hr3.shape[0] == 3
    np.testing.assert_array_equal(hr3[:2].numpy(), hr.numpy())
    np.testing.assert_array_equal(lr3[:2].numpy(), lr.numpy())
    # the draws, noise included, are the same in another run
    again = build(tmp_path / "again.npz", patches=1, images=[str(src)], patch=32)
    np.testing.assert_array_equal(load_pairs(again)[1][0].numpy(), lr[0].numpy())
    # the same preset name with other settings (a preset changed since) is refused, not extended
    monkeypatch.setitem(sr.dip.PRESETS, "fast", replace(TINY, residual=not TINY.residual))
    with pytest.raises(ValueError, match="other preset settings"):
        build(out, patches=4, images=[str(src)], patch=32)
    assert load_pairs(out)[0].shape[0] == 3


def test_a_pairs_file_without_the_measurements_is_refused_with_the_fix(tmp_path):
    old = tmp_path / "old.npz"
    np.savez(old, hr=np.zeros((1, 4, 8, 8)), dip=np.zeros((1, 4, 8, 8)), preset="fast", seed=0)
    with pytest.raises(ValueError, match="build it again"):
        load_pairs(old)


def test_training_with_dip_pairs_validates_on_held_out_pairs(tmp_path, demo_scene, monkeypatch):
    with rasterio.open(demo_scene) as ds:
        src = write_tif(tmp_path / "t.tif", ds.read(window=((0, 128), (0, 400))))
    monkeypatch.setitem(sr.dip.PRESETS, "fast", TINY)
    pairs = build(tmp_path / "pairs.npz", patches=3, images=[str(src)], patch=64)
    out = tmp_path / "m.pt"
    cfg = tiny_training(src, out, steps=2, dip_pairs=str(pairs), dip_val=1)
    assert train(cfg)["steps"] == 2
    logged = json.loads(out.with_suffix(".log.jsonl").read_text().splitlines()[-1])
    assert {"val_psnr", "val_psnr_dip", "val_psnr_dip_input"} <= logged.keys()
