from pathlib import Path

import numpy as np
import pytest
import rasterio
import torch
from affine import Affine
from rasterio.crs import CRS

from imagery.errors import ImageryError
from imagery.raster import Raster
from sr.cli import main
from sr.device import pick_device
from sr.enhance import Progress, enhance
from tests.conftest import write_tif

UTM = CRS.from_epsg(32633)


def tiny(data: np.ndarray) -> Raster:
    return Raster(data.astype(np.float32), UTM, Affine(10, 0, 400000, 0, -10, 5800000))


def test_bicubic_x4_scales_grid_and_keeps_values():
    rng = np.random.default_rng(0)
    raster = tiny(rng.uniform(0.05, 0.3, (4, 12, 10)))
    steps: list[Progress] = []
    out = enhance(raster, "bicubic", 4, "cpu", steps.append)
    assert out.data.shape == (4, 48, 40) and out.data.dtype == np.float32
    assert out.transform == Affine(2.5, 0, 400000, 0, -2.5, 5800000)
    assert out.bounds == raster.bounds and out.crs == raster.crs and out.bands == raster.bands
    # Averaging each 4 x 4 block gives back roughly the input (interpolation, not invention).
    blocks = out.data.reshape(4, 12, 4, 10, 4).mean(axis=(2, 4))
    assert np.abs(blocks - raster.data).mean() < 0.02
    assert steps[-1].fraction == 1.0


def test_nodata_stays_nodata_and_does_not_spread():
    data = np.full((4, 8, 8), 0.2)
    data[:, 2, 3] = np.nan
    out = enhance(tiny(data), "bicubic", 4, "cpu")
    assert np.isnan(out.data[:, 8:12, 12:16]).all()
    assert np.isfinite(out.data).sum() == 4 * (32 * 32 - 16)
    np.testing.assert_allclose(out.data[np.isfinite(out.data)], 0.2, atol=1e-5)


def test_bad_requests_are_refused():
    with pytest.raises(ImageryError, match="unknown pipeline 'magic'"):
        enhance(tiny(np.ones((4, 4, 4))), "magic")
    with pytest.raises(ImageryError, match="no valid pixel"):
        enhance(tiny(np.full((4, 8, 8), np.nan)))


def test_device_choice():
    assert pick_device("cpu") == torch.device("cpu")
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert pick_device(None).type == expected
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="CUDA is not available"):
            pick_device("cuda")


def test_cli_writes_a_georeferenced_uint16_geotiff(tmp_path: Path, austria: Path, capsys):
    with rasterio.open(austria) as ds:
        data = ds.read(window=rasterio.windows.Window(100, 100, 64, 48))
        transform = ds.window_transform(rasterio.windows.Window(100, 100, 64, 48))
    src = write_tif(
        tmp_path / "in.tif", data[:4], origin=(transform.c, transform.f), descriptions=None
    )
    out = tmp_path / "out.tif"
    assert main(["enhance", str(src), str(out), "--pipeline", "bicubic", "--scale", "4"]) == 0
    with rasterio.open(src) as a, rasterio.open(out) as b:
        assert b.crs == a.crs and b.count == a.count and b.dtypes[0] == "uint16"
        assert (b.width, b.height) == (4 * a.width, 4 * a.height)
        assert b.transform == a.transform @ Affine.scale(0.25)
        # Same value scale: block means of the output match the input digital numbers.
        blocks = b.read().reshape(4, 48, 4, 64, 4).mean(axis=(2, 4))
        assert np.abs(blocks - a.read()).mean() < 0.03 * a.read().mean()


def test_cli_fails_with_one_line_for_a_corrupt_file(tmp_path: Path, capsys):
    bad = tmp_path / "bad.tif"
    bad.write_bytes(b"\x00" * 100)
    assert main(["enhance", str(bad), str(tmp_path / "o.tif")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: cannot read")
    assert not (tmp_path / "o.tif").exists()
