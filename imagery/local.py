"""A catalogue of local GeoTIFF / COG files.

A file holds one or more acquisitions of bands B04, B03, B02, B08, or one true-colour image
of B04, B03, B02 (red, green, blue; no near infrared), its bands named as
:func:`imagery.pixels.band_names` names them:
- with band descriptions (as written by ``python -m imagery build-demo``), the bands are found by
  name and the file is one scene; tags ``ACQUISITION_DATE`` and ``TILE_ID`` give date and tile
  (:func:`scene_tags` writes them back);
- a file of 3 bands is one true-colour scene (an 8-bit one is Sentinel-2's TCI);
- without descriptions, or with descriptions B04, B03, B02, B08 repeated N times (as
  ``python -m sr enhance`` writes a multi-date file), a file of 4 x N bands is read as N
  acquisitions, each in the order B04, B03, B02, B08 (the layout of the Fields of The World test
  image), named ``file#1`` ...
Files that fit none are listed in :attr:`LocalCatalog.problems` with the reason.
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from typing import Any

import numpy as np
import rasterio
from rasterio.errors import RasterioError
from rasterio.warp import transform_geom
from rasterio.windows import Window
from shapely.geometry import box, mapping

from imagery.errors import ImageryError
from imagery.geotiff import GEOGRAPHIC
from imagery.pixels import band_names, check_pixel_type, check_reflectance, dn_scale, tci_nodata
from imagery.raster import BANDS, RGB
from imagery.scene import BandSource, BBox, Scene, matches

log = logging.getLogger(__name__)

SUFFIXES = (".tif", ".tiff")
#: The dataset tags that give a file's acquisition date (ISO 8601) and Sentinel-2 tile.
DATE_TAG, TILE_TAG = "ACQUISITION_DATE", "TILE_ID"


class LocalCatalog:
    """Scenes found in GeoTIFF files under some folders (not recursive)."""

    def __init__(self, folders: list[Path]) -> None:
        self.scenes: list[Scene] = []
        self.problems: list[str] = []
        for folder in folders:
            for path in sorted(folder.glob("*")) if folder.is_dir() else []:
                if path.suffix.lower() in SUFFIXES:
                    self._add(path)

    def _add(self, path: Path) -> None:
        try:
            self.scenes.extend(scenes_in_file(path))
        except (RasterioError, ValueError, ImageryError) as err:
            self.problems.append(f"{path.name}: {err}")
            log.warning("skipping %s: %s", path, err)

    def search(self, bbox: BBox | None = None, **filters: Any) -> list[Scene]:
        """Scenes that intersect ``bbox`` (all when None) and pass ``start``, ``end`` and
        ``max_cloud`` as :func:`imagery.scene.matches` reads them (unknown values pass)."""
        return [s for s in self.scenes if matches(s, bbox, **filters)]


def scenes_in_file(path: Path) -> list[Scene]:
    """The scenes stored in one GeoTIFF (see the module docstring for the layouts understood).

    Raises:
        ValueError: the file has no CRS or its bands cannot be identified.
        ImageryError: pixels that are not reflectance (:func:`imagery.pixels.check_pixel_type`;
            floats checked on a sample at the centre, every read checks its own).
        rasterio.errors.RasterioError: the file cannot be opened.
    """
    with rasterio.open(path) as ds:
        if ds.crs is None:
            raise ValueError("no coordinate reference system")
        if ds.crs.is_geographic:
            raise ValueError(GEOGRAPHIC)
        dtype = np.dtype(ds.dtypes[0])
        check_pixel_type(path.name, dtype, ds.count)
        if dtype.kind == "f":  # float files are taken to hold reflectance already
            centre = Window(max(ds.width // 2 - 32, 0), max(ds.height // 2 - 32, 0), 64, 64)
            sample = ds.read(1, window=centre, masked=True).astype(np.float32)
            check_reflectance(path.name, np.ma.filled(sample, np.nan))
        footprint = transform_geom(ds.crs, "EPSG:4326", mapping(box(*ds.bounds)), precision=7)
        descriptions = list(ds.descriptions)
        names = band_names(ds.descriptions, ds.count)
        tags = ds.tags()
        count = ds.count

    href = str(path)
    date = _parse_date(tags.get(DATE_TAG))
    tile = tags.get(TILE_TAG)
    scale, nodata = 1 / dn_scale(dtype), tci_nodata(dtype)
    groups = count // len(BANDS)
    if groups > 1 and names == BANDS * groups:  # acquisitions named band by band
        return _acquisitions(path, groups, date, tile, footprint, scale)
    for wanted in (BANDS, RGB):
        if all(name in names for name in wanted):
            bands = tuple(
                BandSource(n, href, names.index(n) + 1, scale, 0.0, nodata) for n in wanted
            )
            return [Scene(path.stem, "local", date, tile, None, footprint, bands)]
    if any(descriptions):
        raise ValueError(
            f"band descriptions {descriptions} name neither all of {BANDS} nor all of {RGB}"
        )
    if count % len(BANDS):
        raise ValueError(
            f"{count} bands without descriptions; expected 3 bands ordered B04, B03, B02 (red, "
            "green, blue) or 4 x N bands ordered B04, B03, B02, B08"
        )
    return _acquisitions(path, groups, date, tile, footprint, scale)


def _acquisitions(
    path: Path,
    groups: int,
    date: dt.date | None,
    tile: str | None,
    footprint: dict[str, Any],
    scale: float,
) -> list[Scene]:
    """The ``groups`` acquisitions of B04, B03, B02, B08 stored one after another in a file."""
    scenes = []
    for g in range(groups):
        first = g * len(BANDS)
        bands = tuple(BandSource(n, str(path), first + i + 1, scale) for i, n in enumerate(BANDS))
        scene_id = path.stem if groups == 1 else f"{path.stem}#{g + 1}"
        scenes.append(Scene(scene_id, "local", date, tile, None, footprint, bands))
    return scenes


def scene_tags(scene: Scene) -> dict[str, str]:
    """The dataset tags that give ``scene``'s date and tile, as :func:`scenes_in_file` reads
    them: what an enhanced file keeps of its input's tags (the rest may not hold for it)."""
    tags = {}
    if scene.date:
        tags[DATE_TAG] = scene.date.isoformat()
    if scene.tile:
        tags[TILE_TAG] = scene.tile
    return tags


def _parse_date(value: str | None) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        return None
