import datetime as dt
from pathlib import Path

import numpy as np
import pytest
import rasterio

from imagery.errors import CatalogError
from imagery.read import read_area
from imagery.stac import StacCatalog
from tests.imagery.stac_server import demo_catalogue


@pytest.fixture
def stac(tmp_path: Path, demo_scene: Path):
    """COGs of the demo scene's bands, and two items over it (5 % and 60 % cloud)."""
    with demo_catalogue(tmp_path / "cogs", demo_scene) as server:
        yield server, tmp_path / "cogs"


def test_search_lists_acquisitions_with_date_cloud_and_tile(stac):
    server, _ = stac
    bbox = (12.58, 52.47, 12.61, 52.49)
    scenes = StacCatalog(server.url).search(bbox, dt.date(2024, 6, 1), dt.date(2024, 6, 30), 80)
    assert [s.id for s in scenes] == ["S2B_33UUU_20240617_0_L2A", "S2A_33UUU_20240614_0_L2A"]
    assert scenes[0].cloud_cover == 5.0 and scenes[0].tile == "T33UUU"
    assert scenes[0].date == dt.date(2024, 6, 17)
    request = server.searches[-1]
    assert request["collections"] == ["sentinel-2-l2a"]
    assert request["bbox"] == list(bbox)
    assert request["datetime"].startswith("2024-06-01") and "2024-06-30" in request["datetime"]
    assert request["query"] == {"eo:cloud_cover": {"lte": 80}}
    low = StacCatalog(server.url).search(bbox, max_cloud=20)
    assert [s.id for s in low] == ["S2B_33UUU_20240617_0_L2A"]


def test_reads_only_the_window_over_http(stac):
    server, cogs = stac
    [scene, _] = StacCatalog(server.url).search((12.58, 52.47, 12.61, 52.49))
    bbox = (12.59, 52.475, 12.60, 52.48)
    raster = read_area(scene, bbox)
    assert raster.bands == ("B04", "B03", "B02", "B08") and raster.crs.to_epsg() == 32633
    # Same pixels as the file, with the catalogue's scale and offset applied.
    with rasterio.open(cogs / "B08.tif") as ds:
        window = rasterio.windows.from_bounds(*raster.bounds, ds.transform)
        dn = ds.read(1, window=window.round_offsets().round_lengths()).astype(np.float32)
    np.testing.assert_allclose(raster.band("B08"), dn * 1e-4 - 0.1, atol=1e-6)
    assert server.ranges, "no HTTP range request was made"
    size = (cogs / "B08.tif").stat().st_size
    assert server.bytes_sent["B08.tif"] < size / 2, "more than half the file was downloaded"


def test_unreachable_catalogue_gets_a_clear_message():
    with pytest.raises(CatalogError, match="STAC search at http://127.0.0.1:9 failed"):
        StacCatalog("http://127.0.0.1:9").search((12.5, 52.4, 12.6, 52.5))


def test_items_without_the_bands_are_left_out(stac):
    server, _ = stac
    item = server.items[0]
    server.items = [
        {**item, "id": "no-nir", "assets": {k: v for k, v in item["assets"].items() if k != "nir"}}
    ]
    assert StacCatalog(server.url).search() == []


def test_an_acquisition_is_found_again_by_its_id(stac):
    server, _ = stac
    scene = StacCatalog(server.url).get("S2A_33UUU_20240614_0_L2A")
    assert scene.id == "S2A_33UUU_20240614_0_L2A" and scene.cloud_cover == 60.0
    with pytest.raises(CatalogError, match="has no acquisition 'gone'"):
        StacCatalog(server.url).get("gone")
