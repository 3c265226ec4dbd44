import json
import subprocess
import sys
from pathlib import Path

import rasterio

from sr.decrappify import load_model
from tests.conftest import write_tif

SCRIPT = Path(__file__).resolve().parents[3] / "scripts" / "gpu_train.py"


def test_training_runs_from_packed_scenes_without_reading_any_geotiff(tmp_path, demo_scene):
    """The way the shipped weights were trained on a GPU machine without GDAL: the scenes are
    packed here, then training reads only the pack (the GeoTIFF is gone by then)."""
    with rasterio.open(demo_scene) as ds:
        src = write_tif(tmp_path / "scene.tif", ds.read(window=((0, 128), (0, 400))))
    packed = tmp_path / "scenes.npz"
    subprocess.run([sys.executable, SCRIPT, "pack", packed, src], check=True)
    src.unlink()
    out = tmp_path / "m.pt"
    settings = {
        "images": [str(src)],
        "val_images": [],
        "out": str(out),
        "patch": 64,
        "batch": 2,
        "steps": 2,
        "log_every": 1,
        "val_patches": 2,
        "threads": 1,
    }
    run = subprocess.run(
        [sys.executable, SCRIPT, "train", packed, json.dumps(settings)],
        check=True,
        capture_output=True,
        text=True,
    )
    assert json.loads(run.stdout)["steps"] == 2
    assert load_model(out, "cpu") is not None
