import json

import numpy as np
import pytest
import rasterio
import torch

from sr.cli import main
from sr.decrappify import load_model
from sr.degrade import degrade_raster
from sr.evaluate import evaluate, table
from sr.metrics import gmsd, psnr, sam, ssim
from sr.train import TrainConfig, train
from tests.conftest import write_tif


def test_training_command_writes_a_loadable_checkpoint_and_its_record(tmp_path, demo_scene):
    with rasterio.open(demo_scene) as ds:
        data = ds.read(window=((0, 160), (0, 400)))
    src = write_tif(tmp_path / "train.tif", data)
    out = tmp_path / "w" / "model.pt"
    cfg = TrainConfig(
        images=(str(src),),
        out=str(out),
        patch=64,
        batch=2,
        steps=4,
        log_every=2,
        val_patches=2,
        threads=1,
    )
    record = train(cfg)
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


def test_wald_evaluation_on_the_held_out_file(austria, tmp_path):
    rows = evaluate([austria], ["bicubic", "decrappify"], ["gaussian"], crop=96)
    assert {r["image"] for r in rows} == {f"{austria.stem}#1", f"{austria.stem}#2"}
    assert len(rows) == 4
    for r in rows:
        assert 20 < r["PSNR"] < 60 and 0 < r["SSIM"] <= 1 and r["SAM"] > 0
    text = table(rows)
    assert text.count("\n") == 5 and "+0.00" in text


def test_degraded_raster_keeps_the_ground_extent(austria):
    from shapely.geometry import shape

    from imagery.local import scenes_in_file
    from imagery.read import read_area

    scene = scenes_in_file(austria)[0]
    hr = read_area(scene, shape(scene.footprint).bounds, max_size=4096)
    lr = degrade_raster(hr, "lanczos", 4)
    assert lr.resolution == 40 and lr.transform.c == hr.transform.c
    assert lr.width == hr.width // 4


def test_cli_evaluate_prints_a_table(austria, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SR_CACHE_DIR", str(tmp_path))
    code = main(
        [
            "evaluate",
            str(austria),
            "--pipelines",
            "bicubic",
            "--degradations",
            "lanczos",
            "--crop",
            "64",
        ]
    )
    assert code == 0
    out = capsys.readouterr().out
    assert "| image | degradation | pipeline | PSNR dB" in out and out.count("| lanczos |") == 2


def test_cli_refuses_rasters_it_cannot_trust(tmp_path, capsys):
    u8 = write_tif(tmp_path / "u8.tif", np.ones((4, 16, 16), np.uint8))
    dn_float = write_tif(tmp_path / "f.tif", np.full((4, 16, 16), 1500, np.float32))
    two = write_tif(tmp_path / "two.tif", np.ones((2, 16, 16), np.uint16), descriptions=None)
    for path, message in ((u8, "uint8 pixels"), (dn_float, "not reflectance"), (two, "2 band")):
        assert main(["enhance", str(path), str(tmp_path / "o.tif")]) == 1
        assert message in capsys.readouterr().err


def test_cli_decrappify_then_from_cache(tmp_path, austria, monkeypatch, capsys):
    monkeypatch.setenv("SR_CACHE_DIR", str(tmp_path / "cache"))
    with rasterio.open(austria) as ds:
        data = ds.read([1, 2, 3, 4], window=((100, 148), (100, 164)))
        t = ds.window_transform(((100, 148), (100, 164)))
    src = write_tif(tmp_path / "in.tif", data, origin=(t.c, t.f), descriptions=None)
    for _ in range(2):
        assert main(["enhance", str(src), str(tmp_path / "o.tif"), "--pipeline", "decrappify"]) == 0
    assert len(list((tmp_path / "cache").glob("*.npy"))) == 2  # bicubic stage + refinement
    with rasterio.open(tmp_path / "o.tif") as out:
        assert out.descriptions == ("B04", "B03", "B02", "B08") and out.width == 256
