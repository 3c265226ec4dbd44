import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio
from shapely.geometry import shape

from imagery.errors import CatalogError
from imagery.local import scenes_in_file
from imagery.read import read_area
from imagery.stac import StacCatalog
from tests.imagery.stac_server import StacServer

ASSETS = {"red": "B04", "green": "B03", "blue": "B02", "nir": "B08"}


def make_item(item_id: str, cloud: float, footprint: dict[str, Any], url: str) -> dict[str, Any]:
    assets = {
        key: {
            "href": f"{url}/cogs/{band}.tif",
            "type": "image/tiff; application=geotiff; profile=cloud-optimized",
            "roles": ["data"],
            "raster:bands": [{"nodata": 0, "data_type": "uint16", "scale": 0.0001, "offset": -0.1}],
        }
        for key, band in ASSETS.items()
    }
    return {
        "type": "Feature",
        "stac_version": "1.0.0",
        "id": item_id,
        "geometry": footprint,
        "bbox": list(shape(footprint).bounds),
        "properties": {
            "datetime": "2024-06-17T10:15:59Z",
            "eo:cloud_cover": cloud,
            "grid:code": "MGRS-33UUU",
        },
        "links": [],
        "assets": assets,
        "collection": "sentinel-2-l2a",
    }


@pytest.fixture
def stac(tmp_path: Path, demo_scene: Path):
    """COGs of the demo scene's bands, and two items over it (5 % and 60 % cloud)."""
    cogs = tmp_path / "cogs"
    cogs.mkdir()
    with rasterio.open(demo_scene) as ds:
        profile = {
            "crs": ds.crs,
            "transform": ds.transform,
            "width": ds.width,
            "height": ds.height,
            "count": 1,
            "dtype": "uint16",
            "nodata": 0,
        }
        for i, band in enumerate(ds.descriptions, start=1):
            with rasterio.open(
                cogs / f"{band}.tif",
                "w",
                driver="COG",
                blocksize=256,
                compress="deflate",
                **profile,
            ) as out:
                out.write(ds.read(i), 1)
    [local] = scenes_in_file(demo_scene)
    server = StacServer(cogs, [])
    server.items = [
        make_item("S2B_33UUU_20240617_0_L2A", 5.0, local.footprint, server.url),
        make_item("S2A_33UUU_20240614_0_L2A", 60.0, local.footprint, server.url),
    ]
    with server:
        yield server, cogs


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
