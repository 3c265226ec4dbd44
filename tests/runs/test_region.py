"""A whole region in tiles: the COG and its STAC Item (loaded by band name with odc-stac), the
match with ``sr enhance``, resuming after a kill, Ray with 2 workers, a STAC Item's COGs as input,
and bad requests."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import odc.stac
import pystac
import pytest
import rasterio
from affine import Affine
from pystac.validation import JsonSchemaSTACValidator
from rasterio.windows import Window

from imagery.local import LocalCatalog, scenes_in_file
from imagery.pixels import TCI_SCALE
from imagery.read import read_window
from imagery.stac import item_to_scene
from runs.cli import main
from runs.region import RegionRequest, TileStore, only_run, plan, tiles_folder
from runs.region_run import enhance_region
from sr.cli import main as sr_main
from sr.enhance import enhance
from sr.errors import EnhanceError
from tests.conftest import ROOT, write_tif
from tests.imagery.stac_server import demo_catalogue


@pytest.fixture
def small(tmp_path: Path, demo_scene: Path) -> Path:
    """A 100 x 90 px crop of the demo scene, written as a local scene file."""
    path = tmp_path / "small.tif"
    with rasterio.open(demo_scene) as ds:
        window = Window(600, 300, 100, 90)
        profile = ds.profile | {
            "width": 100,
            "height": 90,
            "transform": ds.window_transform(window),
        }
        data, tags, names = ds.read(window=window), ds.tags(), ds.descriptions
    with rasterio.open(path, "w", **profile) as out:
        out.write(data)
        out.descriptions = names
        out.update_tags(**tags)
    return path


def read(path: Path) -> np.ndarray:
    """Reflectance x 10000, as stored."""
    with rasterio.open(path) as ds:
        return ds.read().astype(np.int64)


def test_the_mosaic_matches_sr_enhance_and_opens_as_a_cog_with_its_stac_item(small, tmp_path):
    out = tmp_path / "out"
    assert main(["enhance-region", str(small), str(out), "--tile", "32", "--no-ray"]) == 0
    whole_args = ["enhance", str(small), str(tmp_path / "whole.tif"), "--pipeline", "decrappify"]
    assert sr_main(whole_args) == 0
    cog, whole = out / "small_x4.tif", tmp_path / "whole.tif"
    assert np.abs(read(cog) - read(whole)).mean() < 10  # 0.001 reflectance: 12 tiles, no seam

    with rasterio.open(small) as src, rasterio.open(cog) as ds:
        assert ds.crs == src.crs and ds.transform == src.transform @ Affine.scale(0.25)
        assert (ds.width, ds.height) == (4 * src.width, 4 * src.height)
        assert ds.dtypes[0] == "uint16" and ds.nodata == 0
        assert ds.descriptions == ("B04", "B03", "B02", "B08")
        assert ds.tags()["SR_PIPELINE"] == "decrappify" and ds.tags()["TILE_ID"] == "T33UUU"
        assert ds.profile["tiled"] and ds.block_shapes[0] == (512, 512)
        layout = ds.tags(ns="IMAGE_STRUCTURE").get("LAYOUT")
        assert layout == "COG"
    item = pystac.Item.from_file(str(out / "small_x4.json"))
    assert item.id == "small_x4" and item.datetime.date().isoformat() == "2017-02-16"
    assert item.properties["sr:pipeline"] == "decrappify" and item.properties["gsd"] == 2.5
    assert len(item.properties["sr:model_version"]) == 12
    assert item.properties["proj:code"] == "EPSG:32633"
    west, south, east, north = item.bbox
    [scene] = LocalCatalog([out]).search()  # the result opens in the app as a local scene
    assert scene.intersects((west, south, east, north)) and scene.date == item.datetime.date()
    asset = item.assets["enhanced"]
    assert (out / asset.href).resolve() == cog.resolve()
    assert asset.media_type == pystac.MediaType.COG
    assert not tiles_folder(out, "small").exists()  # the tiles are cleared once the COG is made


def test_odc_stac_loads_the_items_bands_by_name_as_the_reflectance_written(small, tmp_path):
    """A client of the ecosystem (odc-stac) finds the bands by ESA or common name, on the
    COG's own grid, and value x scale + offset from ``raster:bands`` is the reflectance made."""
    out = tmp_path / "out"
    args = ["enhance-region", str(small), str(out), "--tile", "48", "--pipeline", "bicubic"]
    assert main([*args, "--no-ray"]) == 0
    written = json.loads((out / "small_x4.json").read_text())
    JsonSchemaSTACValidator().validate_core(  # offline: the extensions' schemas are online only
        written, pystac.STACObjectType.ITEM, written["stac_version"]
    )
    item = pystac.Item.from_file(str(out / "small_x4.json"))
    [scene] = scenes_in_file(small)
    raster = read_window(scene, Window(0, 0, 100, 90))
    made = enhance(raster, "bicubic", 4).data  # B04, B03, B02, B08 reflectance
    stored = item.assets["enhanced"].extra_fields["raster:bands"]
    assert [b["data_type"] for b in stored] == ["uint16"] * 4
    for names in (["B04", "B08"], ["red", "nir"]):
        loaded = odc.stac.load([item], bands=names)
        assert loaded.odc.crs.epsg == 32633 and loaded.odc.geobox.resolution.xy == (2.5, -2.5)
        with rasterio.open(out / "small_x4.tif") as cog:
            assert loaded.odc.geobox.transform == cog.transform
            assert loaded.odc.geobox.shape == (cog.height, cog.width) == (360, 400)
        for name, band in zip(names, (0, 3), strict=True):
            values = loaded[name].values[0].astype(np.float64)
            scale, offset = stored[band]["scale"], stored[band]["offset"]
            assert np.abs(values * scale + offset - made[band]).max() <= scale / 2 + 1e-6


def test_a_true_colour_file_gives_a_true_colour_mosaic(small, tmp_path):
    """An 8-bit TCI-style file (red, green, blue; 255 at reflectance 0.3; 0 nodata)."""
    with rasterio.open(small) as ds:
        tci = np.clip(np.round(ds.read([1, 2, 3]) / 10000 * 255 / 0.3), 1, 255).astype(np.uint8)
        origin = (ds.transform.c, ds.transform.f)
    tci[:, :20, :20] = 0
    path = write_tif(tmp_path / "tci.tif", tci, origin, descriptions=None, nodata=None)
    out = tmp_path / "out"
    assert main(["enhance-region", str(path), str(out), "--tile", "48", "--no-ray"]) == 0
    with rasterio.open(out / "tci_x4.tif") as ds:
        assert ds.descriptions == ("B04", "B03", "B02") and ds.dtypes == ("uint8",) * 3
        mosaic = ds.read().astype(np.float64)
    assert (mosaic[:, :80, :80] == 0).all() and (mosaic[:, 80:, 80:] > 0).all()
    blocks = mosaic.reshape(3, 90, 4, 100, 4).mean(axis=(2, 4))
    valid = tci > 0
    assert np.abs(blocks - tci)[valid].mean() < 0.05 * tci[valid].mean()  # the same scale
    item = pystac.Item.from_file(str(out / "tci_x4.json"))
    asset = item.assets["enhanced"]
    assert asset.title == "B04, B03, B02 x4, reflectance x 850"
    assert [b["common_name"] for b in asset.extra_fields["eo:bands"]] == ["red", "green", "blue"]
    [stored] = {repr(b) for b in asset.extra_fields["raster:bands"]}  # the same for all three
    assert stored == repr(
        {
            "nodata": 0,
            "data_type": "uint8",
            "spatial_resolution": 2.5,
            "unit": "1",
            "scale": 1 / TCI_SCALE,
            "offset": 0.0,
        }
    )
    red = odc.stac.load([item], bands=["red"]).red.values[0]
    assert np.array_equal(red, mosaic[0])  # uint8 values: x scale is reflectance
    [scene] = LocalCatalog([out]).search()
    assert [b.name for b in scene.bands] == ["B04", "B03", "B02"]


def test_a_killed_run_on_ray_resumes_and_gives_the_same_result(small, tmp_path):
    reference = tmp_path / "reference"
    enhance_region(
        RegionRequest(scenes_in_file(small)[0], "small", tile=32), reference, use_ray=False
    )
    out = tmp_path / "out"
    command = [sys.executable, "-m", "runs", "enhance-region", str(small), str(out), "--tile", "32"]
    command += ["--workers", "2"]
    env = os.environ | {"RAY_AUTH_MODE": "disabled"}
    run = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)
    tiles = tiles_folder(out, "small")
    end = time.monotonic() + 120
    while len(list(tiles.glob("*.npz"))) < 3:  # some tiles done by the Ray workers
        assert time.monotonic() < end and run.poll() is None, "no tile was finished"
        time.sleep(0.1)
    os.killpg(run.pid, signal.SIGKILL)  # the driver, the Ray instance and its workers
    run.wait()
    done = len(list(tiles.glob("*.npz")))
    assert 3 <= done < 12 and not (out / "small_x4.tif").exists()

    again = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    skipped = int(again.stderr.split("computed")[1].split(" skipped")[0].split(", ")[-1])
    assert skipped >= done  # tiles finished before the kill were not computed again
    diff = np.abs(read(out / "small_x4.tif") - read(reference / "small_x4.tif"))
    assert diff.max() <= 1  # the same result (to 1 DN: one torch thread per Ray worker here)
    assert "peak memory per worker" in again.stderr


def test_an_existing_cluster_gets_the_code_and_computes_the_tiles(small, tmp_path):
    """A cluster started apart (``ray start --head`` in another folder, so its workers do not
    have this repository): the command joins it with ``--address`` and ships the code."""
    ray_cli = Path(sys.executable).parent / "ray"
    port = str(_free_port())
    env = os.environ | {"RAY_AUTH_MODE": "disabled"}
    head = [str(ray_cli), "start", "--head", "--port", port, "--num-cpus", "2"]
    subprocess.run(
        [*head, "--include-dashboard=false"], cwd=tmp_path, env=env, check=True, capture_output=True
    )
    try:
        out = tmp_path / "out"
        command = [sys.executable, "-m", "runs", "enhance-region", str(small), str(out)]
        command += ["--tile", "48", "--pipeline", "bicubic", "--address", f"127.0.0.1:{port}"]
        run = subprocess.run(
            command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
        )
        assert run.returncode == 0, run.stderr
        assert "6 tiles computed" in run.stderr
        with rasterio.open(out / "small_x4.tif") as ds:
            assert (ds.width, ds.height) == (400, 360)
    finally:
        subprocess.run([str(ray_cli), "stop", "--force"], env=env, capture_output=True)


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_stac_item_is_read_from_its_cogs_over_http_into_a_cog_with_overviews(
    tmp_path, demo_scene
):
    with demo_catalogue(tmp_path / "cogs", demo_scene) as server:
        item_id = server.items[0]["id"]
        url = f"{server.url}/items/{item_id}"
        out = tmp_path / "out"
        args = ["enhance-region", str(out), "--stac-item", url, "--pipeline", "bicubic"]
        assert main([*args, "--tile", "512", "--no-ray"]) == 0
        assert server.ranges  # windows, not whole files
    item = pystac.Item.from_file(str(out / f"{item_id}_x4.json"))
    assert item.datetime.date().isoformat() == "2024-06-17"
    with rasterio.open(out / f"{item_id}_x4.tif") as ds:
        assert (ds.width, ds.height) == (6144, 3072)
        assert ds.overviews(1)[:3] == [2, 4, 8]
        overview = ds.read(1, out_shape=(ds.height // 8, ds.width // 8))
        assert (overview > 0).mean() > 0.99


def test_a_runs_own_item_is_an_input_of_the_next(small, tmp_path):
    """The Item a run writes (one asset holding the four bands, a relative href) reads back,
    through ``--stac-item``, as the reflectance written; an 8-bit true-colour one too."""
    first = tmp_path / "first"
    args = ["enhance-region", str(small), str(first), "--tile", "48", "--pipeline", "bicubic"]
    assert main([*args, "--no-ray"]) == 0
    item_path = first / "small_x4.json"
    scene = item_to_scene(pystac.Item.from_file(str(item_path)))
    assert scene is not None
    assert [b.name for b in scene.bands] == ["B04", "B03", "B02", "B08"]
    assert [b.index for b in scene.bands] == [1, 2, 3, 4]
    read = read_window(scene, Window(0, 0, 400, 360))
    with rasterio.open(first / "small_x4.tif") as ds:
        dn = ds.read().astype(np.float32)
    np.testing.assert_allclose(read.data, np.where(dn == 0, np.nan, dn * 1e-4), atol=1e-6)

    second = tmp_path / "second"
    args = ["enhance-region", str(second), "--stac-item", str(item_path), "--tile", "512"]
    assert main([*args, "--pipeline", "bicubic", "--no-ray"]) == 0
    with rasterio.open(second / "small_x4_x4.tif") as ds:
        assert (ds.width, ds.height) == (1600, 1440)
        assert ds.descriptions == ("B04", "B03", "B02", "B08")

    # Its id names the outputs: what is not a letter, a digit or _ . - is replaced.
    written = json.loads(item_path.read_text())
    (first / "odd.json").write_text(json.dumps({**written, "id": "../x y"}))
    third = tmp_path / "third"
    args = ["enhance-region", str(third), "--stac-item", str(first / "odd.json"), "--tile", "512"]
    assert main([*args, "--pipeline", "bicubic", "--no-ray"]) == 0
    written_now = sorted(p.name for p in third.iterdir() if not p.name.startswith("."))
    assert written_now == ["x_y_x4.json", "x_y_x4.tif"]


def test_a_true_colour_item_reads_as_a_true_colour_scene(small, tmp_path):
    with rasterio.open(small) as ds:
        tci = np.clip(np.round(ds.read([1, 2, 3]) / 10000 * 255 / 0.3), 1, 255).astype(np.uint8)
        origin = (ds.transform.c, ds.transform.f)
    path = write_tif(tmp_path / "tci.tif", tci, origin, descriptions=None, nodata=None)
    out = tmp_path / "out"
    assert main(["enhance-region", str(path), str(out), "--tile", "48", "--no-ray"]) == 0
    scene = item_to_scene(pystac.Item.from_file(str(out / "tci_x4.json")))
    assert scene is not None and [b.name for b in scene.bands] == ["B04", "B03", "B02"]
    read = read_window(scene, Window(0, 0, 400, 360))
    with rasterio.open(out / "tci_x4.tif") as ds:
        dn = ds.read().astype(np.float32)
    np.testing.assert_allclose(read.data, np.where(dn == 0, np.nan, dn / TCI_SCALE), atol=1e-6)


def test_bad_requests_get_one_line(small, tmp_path, capsys):
    assert main(["enhance-region", str(tmp_path / "o")]) == 1
    assert "either an input GeoTIFF or --stac-item" in capsys.readouterr().err
    assert main(["enhance-region", str(small), str(tmp_path / "o"), "--acquisition", "2"]) == 1
    assert "holds 1 acquisition(s), not 2" in capsys.readouterr().err
    assert main(["enhance-region", str(small), str(tmp_path / "o"), "--tile", "8"]) == 1
    assert "a tile must be at least 16 px" in capsys.readouterr().err
    (tmp_path / "junk.tif").write_bytes(b"not a tiff")
    assert main(["enhance-region", str(tmp_path / "junk.tif"), str(tmp_path / "o")]) == 1
    assert capsys.readouterr().err.startswith("error: cannot read")


def test_tiles_of_another_request_are_not_reused(small, tmp_path):
    scene = scenes_in_file(small)[0]
    first = RegionRequest(scene, "small", "bicubic", tile=32)
    store = TileStore(tiles_folder(tmp_path, "small"), first.identity())
    store.put(0, np.zeros((4, 128, 128), np.uint16))
    assert TileStore(store.folder, first.identity()).done(12) == {0}
    other = RegionRequest(scene, "small", "decrappify", tile=32)
    assert TileStore(store.folder, other.identity()).done(12) == set()


def test_the_tiles_follow_the_raster_grid(small):
    grid = plan(RegionRequest(scenes_in_file(small)[0], "small", tile=32))
    assert len(grid.windows) == 4 * 3
    assert grid.windows[3] == Window(96, 0, 4, 32)  # the last column: what is left
    assert sum(w.width * w.height for w in grid.windows) == 100 * 90
    edge = read_window(scenes_in_file(small)[0], Window(80, 70, 40, 40))
    assert edge.data.shape == (4, 20, 20)  # clipped to the raster
    with pytest.raises(EnhanceError):
        plan(RegionRequest(scenes_in_file(small)[0], "small", "nope"))


def test_a_damaged_tile_is_computed_again_by_the_next_run(small, tmp_path):
    request = RegionRequest(scenes_in_file(small)[0], "small", "bicubic", tile=48)
    store = TileStore(tiles_folder(tmp_path, "small"), request.identity())
    store.put(0, np.zeros((4, 192, 192), np.uint16))
    store.path(1).write_bytes(b"damaged")  # as a disk error might leave it
    with pytest.raises(EnhanceError, match="tile 1 .* was unreadable; run again"):
        enhance_region(request, tmp_path, use_ray=False)
    result = enhance_region(request, tmp_path, use_ray=False)
    assert result.computed == 1 and result.skipped == 5
    assert read(result.cog)[:, :192, :192].max() == 0  # tile 0 was taken from the store


def test_a_second_run_into_the_same_output_is_refused_while_the_first_runs(small, tmp_path):
    request = RegionRequest(scenes_in_file(small)[0], "small", "bicubic", tile=48)
    with (
        only_run(tmp_path, "small"),  # as a first run holds it
        pytest.raises(EnhanceError, match="another enhance-region run is writing"),
    ):
        enhance_region(request, tmp_path, use_ray=False)
    assert not (tmp_path / "small_x4.tif").exists()
    assert enhance_region(request, tmp_path, use_ray=False).computed == 6  # once it has ended


def test_what_a_killed_run_left_is_removed_by_the_next(small, tmp_path):
    request = RegionRequest(scenes_in_file(small)[0], "small", "bicubic", tile=48)
    store = TileStore(tiles_folder(tmp_path, "small"), request.identity())
    store.put(0, np.zeros((4, 192, 192), np.uint16))
    (store.folder / "tmpab12cd.tmp").write_bytes(b"half a tile")  # killed in save_npz
    staging = tmp_path / ".small_x4.tif.k1ll3d"  # killed in write_cog
    staging.mkdir()
    (staging / "staging.tif").write_bytes(b"\0" * 1000)
    result = enhance_region(request, tmp_path, use_ray=False)
    assert result.skipped == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [".small_x4.lock", "small.tif", "small_x4.json", "small_x4.tif"]
    )


def test_workers_and_tiles_below_one_get_one_line(small, tmp_path, capsys):
    for flag in ("--workers", "--tile"):
        with pytest.raises(SystemExit) as ended:
            main(["enhance-region", str(small), str(tmp_path / "o"), flag, "0"])
        assert ended.value.code == 2
        assert "'0' is not a whole number of at least 1" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (np.ones((4, 64, 64), np.uint8), "uint8 pixels"),
        (np.full((4, 64, 64), 1500.0, np.float32), "not reflectance"),
    ],
)
def test_enhance_region_and_the_scene_list_follow_sr_enhances_rule(
    tmp_path, capsys, values, message
):
    path = write_tif(tmp_path / "scene.tif", values)
    assert main(["enhance-region", str(path), str(tmp_path / "o"), "--no-ray"]) == 1
    assert message in capsys.readouterr().err
    catalog = LocalCatalog([tmp_path])
    assert catalog.scenes == [] and message in catalog.problems[0]
