import datetime as dt
import errno
import os
import pickle
import re
import stat
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import rasterio
from affine import Affine

from imagery.local import scenes_in_file
from imagery.raster import BANDS
from sr.cli import main
from sr.enhance import PIPELINES
from tests.conftest import ROOT, write_tif


def test_cli_writes_a_georeferenced_uint16_geotiff(tmp_path: Path, austria: Path, capsys):
    with rasterio.open(austria) as ds:
        data = ds.read(window=rasterio.windows.Window(100, 100, 64, 48))
        transform = ds.window_transform(rasterio.windows.Window(100, 100, 64, 48))
    tags = {"ACQUISITION_DATE": "2021-05-03", "TILE_ID": "T33UUP"}
    src = write_tif(
        tmp_path / "in.tif", data[:4], (transform.c, transform.f), descriptions=None, tags=tags
    )
    out = tmp_path / "out.tif"
    assert main(["enhance", str(src), str(out), "--pipeline", "bicubic", "--scale", "4"]) == 0
    with rasterio.open(src) as a, rasterio.open(out) as b:
        assert b.crs == a.crs and b.count == a.count and b.dtypes[0] == "uint16"
        assert b.descriptions == BANDS and b.tags() | tags == b.tags()
        assert (b.width, b.height) == (4 * a.width, 4 * a.height)
        assert b.transform == a.transform @ Affine.scale(0.25)
        # Same value scale: block means of the output match the input digital numbers.
        blocks = b.read().reshape(4, 48, 4, 64, 4).mean(axis=(2, 4))
        assert np.abs(blocks - a.read()).mean() < 0.03 * a.read().mean()


def test_a_two_date_file_is_enhanced_date_by_date_into_what_the_app_reads(tmp_path, austria):
    """The Fields of The World layout (8 bands: two dates of B04, B03, B02, B08, no band
    descriptions) with a date and tile: each date is enhanced on its own, every band described by
    its name, the tags that stay true kept, and the app's catalogue (which the region command
    reads with) finds two acquisitions with their bands, date and tile."""
    window = rasterio.windows.Window(100, 100, 32, 24)
    with rasterio.open(austria) as ds:
        data = ds.read(window=window)
        transform = ds.window_transform(window)
    origin = (transform.c, transform.f)
    tags = {"ACQUISITION_DATE": "2021-05-03", "TILE_ID": "T33UUP", "PIXEL_SIZE": "10 m"}
    src = write_tif(tmp_path / "two.tif", data, origin, descriptions=None, tags=tags)
    out = tmp_path / "out.tif"
    argv = ["--pipeline", "decrappify", "--no-cache", "--device", "cpu"]
    assert main(["enhance", str(src), str(out), *argv]) == 0

    first, second = scenes_in_file(out)
    assert (first.id, second.id) == ("out#1", "out#2")
    assert [b.name for b in second.bands] == list(BANDS)
    assert [b.index for b in second.bands] == [5, 6, 7, 8]
    assert second.date == dt.date(2021, 5, 3) and second.tile == "T33UUP"
    with rasterio.open(out) as ds:
        assert ds.descriptions == BANDS * 2 and ds.count == 8
        assert ds.tags()["SR_PIPELINE"] == "decrappify" and ds.tags()["SR_SOURCE"] == "two"
        assert "PIXEL_SIZE" not in ds.tags()  # no longer true at 2.5 m
        values = ds.read()
    alone = write_tif(tmp_path / "second.tif", data[4:], origin, descriptions=None)
    assert main(["enhance", str(alone), str(tmp_path / "alone.tif"), *argv]) == 0
    with rasterio.open(tmp_path / "alone.tif") as ds:
        assert np.abs(ds.read().astype(int) - values[4:]).max() <= 1  # the date on its own


@pytest.mark.parametrize("pipeline", sorted(PIPELINES))
def test_cli_enhances_an_8bit_true_colour_file_with_every_pipeline(
    tmp_path: Path, austria: Path, tiny_dip, pipeline: str
):
    """A Sentinel-2 TCI-style file (8-bit red, green, blue, 255 at reflectance 0.3, 0 nodata,
    no band descriptions) made of a real crop, enhanced x4 as a user would."""
    window = rasterio.windows.Window(100, 100, 32, 24)
    with rasterio.open(austria) as ds:
        dn = ds.read([1, 2, 3], window=window)
        transform = ds.window_transform(window)
    tci = np.clip(np.round(dn / 10000 * 255 / 0.3), 1, 255).astype(np.uint8)
    tci[:, :2, :2] = 0  # a corner of nodata
    src = write_tif(
        tmp_path / "tci.tif", tci, (transform.c, transform.f), descriptions=None, nodata=None
    )
    out = tmp_path / "out.tif"
    argv = ["enhance", str(src), str(out), "--pipeline", pipeline, "--no-cache", "--device", "cpu"]
    assert main(argv) == 0
    with rasterio.open(src) as a, rasterio.open(out) as b:
        assert b.descriptions == ("B04", "B03", "B02") and b.dtypes == ("uint8",) * 3
        assert b.crs == a.crs and b.transform == a.transform @ Affine.scale(0.25)
        assert (b.width, b.height) == (4 * a.width, 4 * a.height) and b.nodata == 0
        values = b.read().astype(np.float64)
    assert (values[:, :8, :8] == 0).all() and (values[:, 8:, 8:] > 0).all()  # nodata stays
    # The same scale: each 4 x 4 block averages to about the input's value.
    blocks = values.reshape(3, 24, 4, 32, 4).mean(axis=(2, 4))
    valid = tci > 0
    assert np.abs(blocks - tci)[valid].mean() < 0.05 * tci[valid].mean()


def test_cli_fails_with_one_line_for_a_corrupt_file(tmp_path: Path):
    bad = tmp_path / "bad.tif"
    bad.write_bytes(b"\x00" * 100)
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(  # as a user runs it: GDAL's own log lines would show here too
        [sys.executable, "-m", "sr", "enhance", str(bad), str(tmp_path / "o.tif")],
        cwd=root,
        capture_output=True,
        text=True,
    )
    err = done.stderr.strip().splitlines()
    assert done.returncode == 1 and len(err) == 1 and err[0].startswith("error: cannot read")
    assert not (tmp_path / "o.tif").exists()


def test_cli_refuses_rasters_it_cannot_trust(tmp_path, capsys):
    u8 = write_tif(tmp_path / "u8.tif", np.ones((4, 16, 16), np.uint8))
    dn_float = write_tif(tmp_path / "f.tif", np.full((4, 16, 16), 1500, np.float32))
    two = write_tif(tmp_path / "two.tif", np.ones((2, 16, 16), np.uint16), descriptions=None)
    five = write_tif(tmp_path / "five.tif", np.ones((5, 16, 16), np.uint16), descriptions=None)
    for path, message in (
        (u8, "uint8 pixels"),
        (dn_float, "not reflectance"),
        (two, "2 band"),
        (five, "cannot tell the bands of five.tif: 5 bands without descriptions"),
    ):
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
    assert len(list((tmp_path / "cache").glob("*.npz"))) == 2  # bicubic stage + refinement
    with rasterio.open(tmp_path / "o.tif") as out:
        assert out.descriptions == ("B04", "B03", "B02", "B08") and out.width == 256


def test_cli_refuses_to_overwrite_its_input_even_through_another_path(tmp_path, capsys):
    src = write_tif(tmp_path / "in.tif", np.full((4, 16, 16), 1200, np.uint16))
    before = src.read_bytes()
    (tmp_path / "sub").mkdir()
    for out in (src, tmp_path / "sub" / ".." / "in.tif"):
        assert main(["enhance", str(src), str(out), "--no-cache"]) == 1
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "is the input file" in err[0]
    assert src.read_bytes() == before


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--scale", "1000"], "scale must be a whole number from 1 to 8"),
        (["--device", "bogus"], "unknown device 'bogus'"),
        (["--pipeline", "decrappify", "--weights", "text"], "is not a Decrappify checkpoint"),
        (["--pipeline", "decrappify", "--weights", "list"], "is not a Decrappify checkpoint"),
    ],
)
def test_cli_bad_requests_end_in_one_line_not_a_traceback(
    tmp_path, capsys, monkeypatch, argv, message
):
    src = write_tif(tmp_path / "in.tif", np.full((4, 16, 16), 1200, np.uint16))
    if "--weights" in argv:
        kind = argv[-1]
        argv = argv[:-2]
        weights = tmp_path / "w.pt"
        if kind == "text":
            weights.write_text("not a model")
        else:
            weights.write_bytes(pickle.dumps([1, 2]))
        monkeypatch.setenv("SR_DECRAPPIFY_WEIGHTS", str(weights))
    code = main(["enhance", str(src), str(tmp_path / "o.tif"), "--no-cache", *argv])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1 and len(err) == 1 and err[0].startswith("error: ") and message in err[0]
    assert not (tmp_path / "o.tif").exists()


@pytest.mark.parametrize(
    ("available", "message"),
    [
        (2**10, "reading in.tif (16 x 16 px) needs about 8 KiB of memory and 1 KiB is available"),
        (2**17, "the x4 result of 16 x 16 px needs about 256 KiB of memory and 128 KiB is"),
    ],
)
def test_cli_refuses_a_raster_too_large_for_the_memory_before_allocating_it(
    tmp_path, capsys, monkeypatch, available, message
):
    import imagery.memory

    # As a 20000 px square on a 24 GiB machine, scaled down: the limit is what is available
    monkeypatch.setattr(imagery.memory, "available_memory", lambda: available)
    src = write_tif(tmp_path / "in.tif", np.full((4, 16, 16), 1200, np.uint16))
    code = main(["enhance", str(src), str(tmp_path / "o.tif"), "--no-cache", "--device", "cpu"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1 and len(err) == 1 and message in err[0]
    assert not (tmp_path / "o.tif").exists()


def test_cli_refuses_an_output_that_is_no_regular_file_before_computing(
    tmp_path, capsys, monkeypatch
):
    src = write_tif(tmp_path / "in.tif", np.full((4, 16, 16), 1200, np.uint16))
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    calls = []
    monkeypatch.setattr("sr.cli.enhance", lambda *a, **k: calls.append(a))
    for out, message in (
        (Path("/dev/null"), "/dev/null exists and is not a regular file"),
        (fifo, "pipe exists and is not a regular file"),
        (tmp_path, "is not a regular file"),
        (tmp_path / "missing" / "o.tif", "the folder .*missing does not exist"),
    ):
        assert main(["enhance", str(src), str(out), "--no-cache"]) == 1
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and re.search(message, err[0]), err
    assert calls == []  # refused before anything was computed
    assert Path("/dev/null").is_char_device() and stat.S_ISFIFO(fifo.stat().st_mode)


def test_a_cache_that_cannot_be_written_costs_a_warning_not_the_result(
    tmp_path, caplog, monkeypatch
):
    src = write_tif(tmp_path / "in.tif", np.full((4, 16, 16), 1200, np.uint16))

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("sr.cache.save_npz", full)
    monkeypatch.setenv("SR_CACHE_DIR", str(tmp_path / "cache"))
    assert main(["enhance", str(src), str(tmp_path / "o.tif")]) == 0
    err = caplog.text
    assert "could not be cached" in err and "No space left on device" in err
    assert "[Errno 28]" not in err and (tmp_path / "o.tif").exists()


def test_cli_output_escapes_control_characters_in_names(tmp_path):
    src = write_tif(tmp_path / "in.tif", np.full((4, 16, 16), 1200, np.uint16))
    out = tmp_path / "o\x1b]0;pwned\x07.tif"
    done = subprocess.run(  # as a user runs it, on a terminal that would obey the sequence
        [sys.executable, "-m", "sr", "enhance", str(src), str(out), "--no-cache"],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0 and out.exists()
    assert "\x1b" not in done.stderr and "\x07" not in done.stderr
    assert "o\\x1b]0;pwned\\x07.tif" in done.stderr


@pytest.mark.parametrize(
    ("command", "now"),
    [
        ("train", "python -m sr.training train"),
        ("evaluate", "python -m sr.training evaluate"),
        ("dip-dataset", "python -m sr.training dip-dataset"),
        ("enhance-region", "python -m runs enhance-region"),
    ],
)
def test_a_command_that_moved_says_where_it_went(command, now, capsys):
    assert main([command, "x.tif"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"error: `python -m sr {command}` is now `{now}`"]


def test_enhancing_a_file_loads_neither_training_nor_runs_nor_ray(tmp_path):
    src = write_tif(tmp_path / "in.tif", np.full((4, 16, 16), 1200, np.uint16))
    script = (
        "import sys\n"
        "from sr.cli import main\n"
        f"assert main(['enhance', {str(src)!r}, {str(tmp_path / 'o.tif')!r}, '--no-cache']) == 0\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('ray', 'runs')"
        " or m.startswith('sr.training')))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert done.stdout.strip().splitlines()[-1] == "[]"
    assert (tmp_path / "o.tif").is_file()
