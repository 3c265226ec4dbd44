from pathlib import Path

import numpy as np
import pytest
import rasterio
from affine import Affine
from rasterio.crs import CRS
from rasterio.errors import RasterioError

import imagery.geotiff
import settings
from imagery.errors import AreaError, ImageryError
from imagery.geotiff import read_bands, read_raster, write_geotiff, write_raster
from imagery.raster import Raster
from tests.conftest import ROOT, write_tif

UTM = CRS.from_epsg(32633)
TRANSFORM = Affine(10, 0, 400000, 0, -10, 5800000)
NAMES = ("B04", "B03", "B02", "B08")


def reflectance(shape=(4, 6, 5), seed: int = 0) -> np.ndarray:
    """Reflectance on the uint16 grid (multiples of 1e-4), so a round trip is exact."""
    rng = np.random.default_rng(seed)
    return (rng.integers(1, 15000, shape) / 10000).astype(np.float32)


def test_uint16_raster_round_trips_values_and_georeferencing(tmp_path: Path):
    raster = Raster(reflectance(), UTM, TRANSFORM, NAMES)
    path = tmp_path / "out.tif"
    write_raster(raster, path, np.dtype("uint16"), tags={"SOURCE": "test"})
    back, dtype = read_raster(path, 1024)
    assert dtype == np.uint16
    np.testing.assert_allclose(back.data, raster.data, atol=1e-4)
    assert back.crs == UTM and back.transform == TRANSFORM and back.bands == NAMES
    with rasterio.open(path) as ds:
        assert ds.dtypes[0] == "uint16" and ds.tags()["SOURCE"] == "test"
        assert int(ds.read(1)[0, 0]) == round(float(raster.data[0, 0, 0]) * 10000)


def test_float32_raster_round_trips_with_nan_nodata(tmp_path: Path):
    data = reflectance()
    data[:, 0, :] = np.nan
    write_raster(Raster(data, UTM, TRANSFORM, NAMES), tmp_path / "f.tif", np.dtype("float32"))
    back, dtype = read_raster(tmp_path / "f.tif", 1024)
    assert dtype == np.float32
    np.testing.assert_array_equal(back.data, data)  # NaN in the same places, values exact


def test_nan_is_written_as_zero_for_uint16_and_read_back_as_nan(tmp_path: Path):
    data = reflectance()
    data[:, 2, 3] = np.nan
    data[:, 0, 0] = 0.0  # a valid dark pixel must not become nodata
    path = tmp_path / "holes.tif"
    write_raster(Raster(data, UTM, TRANSFORM, NAMES), path, np.dtype("uint16"))
    with rasterio.open(path) as ds:
        dn = ds.read()
        assert ds.nodata == 0
    assert (dn[:, 2, 3] == 0).all() and (dn[:, 0, 0] == 1).all()
    back, _ = read_raster(path, 1024)
    assert np.isnan(back.data[:, 2, 3]).all()
    assert np.isnan(back.data).sum() == 4 and np.isfinite(back.data[:, 0, 0]).all()


def test_a_file_without_crs_is_refused_by_read_raster_but_read_by_read_bands(tmp_path: Path):
    data = np.full((4, 8, 8), 1200, np.uint16)
    path = write_tif(tmp_path / "nocrs.tif", data, crs=None)
    with pytest.raises(ImageryError, match="nocrs.tif has no coordinate reference system"):
        read_raster(path, 1024)
    refl, names, dtype = read_bands(path)
    assert refl.shape == (4, 8, 8) and np.allclose(refl, 0.12)
    assert names == NAMES and dtype == np.uint16


def test_band_names_without_descriptions(tmp_path: Path):
    four = write_tif(tmp_path / "four.tif", np.ones((4, 4, 4), np.uint16), descriptions=None)
    five = write_tif(tmp_path / "five.tif", np.ones((5, 4, 4), np.uint16), descriptions=None)
    assert read_bands(four)[1] == NAMES  # the app's band order
    assert read_bands(five)[1] == ("band1", "band2", "band3", "band4", "band5")


def test_an_8bit_true_colour_file_is_reflectance_with_0_as_nodata(tmp_path: Path):
    tci = np.full((3, 8, 8), 85, np.uint8)  # ESA's TCI: red, green, blue, no declared nodata
    tci[:, 0, 0] = 0  # nodata in every band
    tci[2, 1, 1] = 0  # nodata in blue only
    tci[:, 2, 2] = 255  # saturated: reflectance 0.3 or more
    tci[:, 3, 3] = 1  # the darkest valid value
    path = write_tif(tmp_path / "tci.tif", tci, descriptions=None, nodata=None)
    raster, dtype = read_raster(path, 1024)
    assert raster.bands == ("B04", "B03", "B02") and dtype == np.uint8
    assert raster.crs == UTM and raster.transform == TRANSFORM
    np.testing.assert_allclose(raster.data[:, 4, 4], 0.1)  # 85 / 255 x 0.3
    np.testing.assert_allclose(raster.data[:, 2, 2], 0.3)
    np.testing.assert_allclose(raster.data[:, 3, 3], 0.3 / 255)
    assert np.isnan(raster.data[:, 0, 0]).all() and np.isnan(raster.data[2, 1, 1])
    assert np.isnan(raster.data).sum() == 4
    # Written back in its own dtype and scale, nodata 0, and read the same.
    write_raster(raster, tmp_path / "back.tif", dtype)
    with rasterio.open(tmp_path / "back.tif") as ds:
        assert ds.dtypes[0] == "uint8" and ds.nodata == 0 and ds.descriptions == raster.bands
        np.testing.assert_array_equal(ds.read(), tci)


@pytest.mark.parametrize(
    ("dtype", "values", "descriptions", "names", "red"),
    [
        ("uint16", 1000, None, ("B04", "B03", "B02"), 0.1),
        ("uint16", 1000, ("R", "G", "B"), ("B04", "B03", "B02"), 0.1),
        ("uint16", 1000, ("B02", "B03", "B04"), ("B02", "B03", "B04"), None),
        ("float32", 0.1, None, ("B04", "B03", "B02"), 0.1),
        ("uint8", 85, ("Red", "Green", "Blue"), ("B04", "B03", "B02"), 0.1),
    ],
)
def test_three_band_files_are_red_green_blue_unless_named(
    tmp_path: Path, dtype, values, descriptions, names, red
):
    data = np.full((3, 8, 8), values, dtype)
    data[0] *= 2  # the first band twice as bright: where red is read from
    path = write_tif(tmp_path / "rgb.tif", data, descriptions=descriptions)
    raster, _ = read_raster(path, 1024)
    assert raster.bands == names
    if red is not None:
        np.testing.assert_allclose(raster.band("B04"), 2 * red, rtol=1e-6)
        np.testing.assert_allclose(raster.band("B02"), red, rtol=1e-6)
    else:
        np.testing.assert_allclose(raster.band("B02"), 0.2, rtol=1e-6)


def test_the_shared_tci_chip_reads_as_reflectance():
    """A real Sentinel-2 TCI chip (8-bit red, green, blue, band descriptions R, G, B, no CRS)."""
    chip = ROOT / settings.shared_data_dir() / "xsens/s2naip_pair1/s2_tci_t0_rgb.tif"
    if not chip.exists():
        pytest.skip(f"{chip} is absent")
    refl, names, dtype = read_bands(chip)
    with rasterio.open(chip) as ds:
        raw = ds.read()
    assert names == ("B04", "B03", "B02") and dtype == np.uint8 and refl.shape == (3, 32, 32)
    np.testing.assert_allclose(refl, raw / 255 * 0.3, rtol=1e-6)
    # Farmland seen from the top of the atmosphere: dark, blue the brightest (haze).
    assert 0.02 < np.nanmean(refl) < 0.15 and refl[2].mean() > refl[0].mean()


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("u8", np.ones((4, 8, 8), np.uint8), "u8.tif has uint8 pixels in 4 band"),
        (
            "one",
            np.ones((1, 8, 8), np.uint8),
            r"one.tif has uint8 pixels in 1 band\(s\); accepted are reflectance x 10000 as "
            r"16-bit integers .*, reflectance as floats, or a true-colour image of 3 bands of "
            r"8 bits \(red, green, blue, like Sentinel-2's TCI\)",
        ),
        ("i8", np.ones((3, 8, 8), np.int8), "i8.tif has int8 pixels in 3 band"),
        ("two", np.ones((2, 8, 8), np.uint16), r"two.tif has 2 band\(s\); at least 3 are needed"),
        ("f", np.full((4, 8, 8), 1500, np.float32), "f.tif holds floats up to 1500: not reflect"),
        (
            "inf",
            np.where(np.eye(8) > 0, np.inf, 0.1).astype(np.float32)[None].repeat(4, 0),
            "inf.tif holds 32 infinite values; mark them as nodata",
        ),
        ("neg", np.full((4, 8, 8), -0.5, np.float32), "neg.tif holds floats down to -0.50: not r"),
        ("empty", np.full((4, 8, 8), np.nan, np.float32), "empty.tif has no valid pixel"),
    ],
)
def test_files_that_are_not_reflectance_are_refused(tmp_path: Path, name, data, message):
    path = write_tif(tmp_path / f"{name}.tif", data, descriptions=None)
    with pytest.raises(ImageryError, match=message):
        read_raster(path, 1024)
    with pytest.raises(ImageryError, match=message):
        read_bands(path)


def test_floats_up_to_two_are_reflectance(tmp_path: Path):
    path = write_tif(tmp_path / "bright.tif", np.full((4, 8, 8), 1.8, np.float32), nodata=None)
    assert np.allclose(read_bands(path)[0], 1.8)
    dark = write_tif(tmp_path / "dark.tif", np.full((4, 8, 8), -0.05, np.float32), nodata=None)
    assert np.allclose(read_bands(dark)[0], -0.05)  # L2A offsets leave dark pixels below 0


def test_a_raster_in_degrees_is_refused_with_what_to_do(tmp_path: Path):
    from imagery.local import LocalCatalog

    data = np.full((4, 8, 8), 1200, np.uint16)
    path = write_tif(tmp_path / "wgs84.tif", data, (13.1, 48.3), 0.0001, "EPSG:4326")
    with pytest.raises(ImageryError, match="wgs84.tif is in degrees .* reproject it to its UTM"):
        read_raster(path, 1024)
    catalog = LocalCatalog([tmp_path])
    assert not catalog.scenes
    assert catalog.problems == [f"wgs84.tif: {imagery.geotiff.GEOGRAPHIC}"]


def test_size_limit_and_unreadable_files(tmp_path: Path):
    path = write_tif(tmp_path / "wide.tif", np.ones((4, 8, 20), np.uint16))
    with pytest.raises(AreaError, match="wide.tif is 20 x 8 px; the limit is 16 px"):
        read_raster(path, 16)
    junk = tmp_path / "junk.tif"
    junk.write_bytes(b"not a tiff")
    with pytest.raises(ImageryError, match="cannot read"):
        read_raster(junk, 1024)
    with pytest.raises(ImageryError, match="cannot read"):
        read_bands(junk)


def test_write_geotiff_leaves_no_temporary_file(tmp_path: Path):
    target = tmp_path / "sub" / "x.tif"
    write_geotiff(target, np.ones((4, 8, 8), np.uint16), UTM, TRANSFORM, 0, NAMES)
    write_geotiff(target, np.full((4, 8, 8), 7, np.uint16), UTM, TRANSFORM, 0, NAMES)  # replace
    assert list(target.parent.iterdir()) == [target]
    with rasterio.open(target) as ds:
        assert (ds.read() == 7).all() and ds.descriptions == NAMES


def test_a_failed_write_keeps_the_previous_file(tmp_path: Path, monkeypatch):
    target = write_tif(tmp_path / "x.tif", np.full((4, 8, 8), 1200, np.uint16))
    before = target.read_bytes()
    # Fails after the temporary file is written: the wrong number of band descriptions.
    with pytest.raises(ValueError):
        write_geotiff(target, np.ones((4, 8, 8), np.uint16), UTM, TRANSFORM, 0, ("B04", "B08"))
    assert target.read_bytes() == before and list(tmp_path.iterdir()) == [target]

    # Fails after creating the temporary file, as a full disk would.
    def broken_open(path, mode="r", **kwargs):
        Path(path).write_bytes(b"half a tiff")
        raise RasterioError("No space left on device")

    monkeypatch.setattr(imagery.geotiff.rasterio, "open", broken_open)
    with pytest.raises(RasterioError, match="No space left"):
        write_raster(Raster(reflectance((4, 8, 8)), UTM, TRANSFORM), target, np.dtype("uint16"))
    monkeypatch.undo()
    assert target.read_bytes() == before and list(tmp_path.iterdir()) == [target]


def test_a_write_whose_folder_is_a_file_fails_without_touching_anything(tmp_path: Path):
    (tmp_path / "file").write_text("not a folder")
    with pytest.raises(OSError):
        write_geotiff(tmp_path / "file" / "x.tif", np.ones((4, 8, 8), np.uint16), UTM, TRANSFORM)
    assert (tmp_path / "file").read_text() == "not a folder"
    assert [p.name for p in tmp_path.iterdir()] == ["file"]


def test_damaged_pixel_data_is_named_as_such(tmp_path: Path):
    rng = np.random.default_rng(0)
    data = rng.integers(1, 15000, (4, 64, 64)).astype(np.uint16)
    path = write_tif(tmp_path / "broken.tif", data)
    raw = bytearray(path.read_bytes())
    with rasterio.open(path) as ds:
        offset = int(ds.get_tag_item("BLOCK_OFFSET_0_0", "TIFF", bidx=1))
    raw[offset : offset + 64] = b"\xff" * 64  # the first compressed block no longer decodes
    path.write_bytes(bytes(raw))
    with pytest.raises(ImageryError, match="broken.tif: the file is damaged .* export it again"):
        read_raster(path, 1024)
