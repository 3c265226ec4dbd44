"""A STAC API catalogue of Sentinel-2 L2A acquisitions whose bands are COGs read over HTTP.

The default is Earth Search (collection ``sentinel-2-l2a``); ``STAC_URL`` and ``STAC_COLLECTION``
choose another. Only the area's window of each band is read (HTTP range requests, via GDAL).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pystac import Item
from pystac_client import Client
from pystac_client.exceptions import APIError

import settings
from imagery.errors import CatalogError
from imagery.raster import BANDS
from imagery.scene import BandSource, BBox, Scene
from imagery.stac_bands import SPECTRAL

#: Asset keys that hold each band, by catalogue convention: Earth Search v1 names them by the
#: bands' common names (``red``, ``green``, ``blue``, ``nir``), others by ESA names.
ASSET_KEYS: dict[str, tuple[str, ...]] = {b: (SPECTRAL[b].common_name, b) for b in BANDS}


class StacCatalog:
    """Scenes from a STAC API item search."""

    def __init__(self, url: str | None = None, collection: str | None = None, limit: int = 50):
        self.url = url or settings.stac_url()
        self.collection = collection or settings.stac_collection()
        self.limit = limit

    def search(
        self,
        bbox: BBox | None = None,
        start: dt.date | None = None,
        end: dt.date | None = None,
        max_cloud: float | None = None,
    ) -> list[Scene]:
        """Acquisitions over ``bbox`` between ``start`` and ``end``, least cloudy first.

        Raises:
            CatalogError: the server cannot be reached or its answer is not a STAC item search.
        """
        if start and end and start > end:
            raise CatalogError(f"the start date {start} is after the end date {end}")
        query = {"eo:cloud_cover": {"lte": max_cloud}} if max_cloud is not None else None
        interval = f"{start or '..'}/{end or '..'}" if (start or end) else None
        scenes = self._scenes(bbox=bbox, datetime=interval, query=query, max_items=self.limit)
        return sorted(scenes, key=lambda s: (s.cloud_cover is None, s.cloud_cover, s.id))

    def get(self, scene_id: str) -> Scene:
        """The acquisition with this item id (to reopen an area picked before).

        Raises:
            CatalogError: the server cannot be reached, or has no usable item of that id.
        """
        scenes = self._scenes(ids=[scene_id])
        if not scenes:
            raise CatalogError(f"the catalogue at {self.url} has no acquisition {scene_id!r}")
        return scenes[0]

    def _scenes(self, **search: Any) -> list[Scene]:
        """The usable scenes of an item search of this collection (``search``: its arguments).

        Raises:
            CatalogError: the server cannot be reached or its answer is not a STAC item search.
        """
        try:
            client = Client.open(self.url, timeout=30)
            items = list(client.search(collections=[self.collection], **search).items())
        except (APIError, OSError, ValueError) as err:
            raise CatalogError(f"STAC search at {self.url} failed: {err}") from err
        return [s for s in (item_to_scene(i) for i in items) if s is not None]


def item_to_scene(item: Item) -> Scene | None:
    """A scene from a STAC item, or None when the item lacks one of the bands B04, B03, B02
    (and B08, unless all three are in one asset: a true-colour image).

    A band is an asset of its own (keyed by common or ESA name, as catalogues do) or one band
    of an asset that lists several (``eo:bands``, or STAC 1.1's ``bands``, by ESA or common
    name: the Items that ``runs enhance-region`` writes). Relative hrefs are resolved against
    the Item's own location."""
    found = [s for s in (_band_source(item, name) for name in BANDS) if s is not None]
    names = [s.name for s in found]
    true_colour = names == ["B04", "B03", "B02"] and len({s.href for s in found}) == 1
    if len(found) < len(BANDS) and not true_colour:
        return None
    props = item.properties
    cloud = props.get("eo:cloud_cover")
    return Scene(
        id=item.id,
        source="stac",
        date=item.datetime.date() if item.datetime else None,
        tile=_tile(props),
        cloud_cover=float(cloud) if cloud is not None else None,
        footprint=item.geometry or {},
        bands=tuple(found),
    )


def _band_source(item: Item, name: str) -> BandSource | None:
    """Where band ``name`` of the item is: an asset of its own, else a band of an asset that
    lists its bands; None when it is in neither."""
    asset = next((item.assets[k] for k in ASSET_KEYS[name] if k in item.assets), None)
    if asset is not None and len(_listed(asset.extra_fields)) <= 1:
        scale, offset, nodata = _stored(asset.extra_fields, 0)
        return BandSource(name, asset.get_absolute_href() or asset.href, 1, scale, offset, nodata)
    for asset in item.assets.values():
        for index, band in enumerate(_listed(asset.extra_fields)):
            names = {band.get("name"), band.get("common_name"), band.get("eo:common_name")}
            if names & set(ASSET_KEYS[name]):
                scale, offset, nodata = _stored(asset.extra_fields, index)
                href = asset.get_absolute_href() or asset.href
                return BandSource(name, href, index + 1, scale, offset, nodata)
    return None


def _listed(fields: dict[str, Any]) -> list[dict[str, Any]]:
    """The bands an asset says it holds (``eo:bands``, or STAC 1.1's ``bands``), in file order."""
    listed = fields.get("eo:bands") or fields.get("bands") or []
    return [b for b in listed if isinstance(b, dict)]


def _stored(fields: dict[str, Any], index: int) -> tuple[float, float, int | None]:
    """Reflectance scale and offset of the asset's band ``index`` (0-based) from the raster
    extension (L2A since 2022 has offset -0.1), and its nodata when that is a whole number."""
    rb = fields.get("raster:bands") or []
    band = rb[index] if index < len(rb) and isinstance(rb[index], dict) else {}
    nodata = band.get("nodata")
    whole = isinstance(nodata, int) and not isinstance(nodata, bool)
    return float(band.get("scale", 1e-4)), float(band.get("offset", 0.0)), nodata if whole else None


def _tile(props: dict[str, Any]) -> str | None:
    if "grid:code" in props:  # e.g. "MGRS-33UUP"
        return "T" + str(props["grid:code"]).split("-")[-1]
    keys = ("mgrs:utm_zone", "mgrs:latitude_band", "mgrs:grid_square")
    if all(k in props for k in keys):
        return "T{}{}{}".format(*(props[k] for k in keys))
    tile = props.get("s2:tile_id") or props.get("tile")
    return str(tile) if tile else None
