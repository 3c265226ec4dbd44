"""The CRS and area rules of label sets: polygons are stored in WGS84 and measured in the
scene's UTM zone (metres), never in degrees; coordinates exported as text are rounded to about
1 cm."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import numpy as np
import shapely
from pyproj import CRS, Transformer
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry
from shapely.ops import transform

from labels.features import DECIMALS

#: Outlines closer than this (degrees, about 1 cm) are the same outline.
SAME_OUTLINE = 1e-7
#: Decimal places of coordinates in metres exported as text: 1 cm (degrees: ``DECIMALS``, 7).
METRE_DECIMALS = 2
#: The most decimal places added to a polygon that rounding would make invalid.
MORE_DECIMALS = 6

log = logging.getLogger(__name__)


def utm_zone(lon: float, lat: float) -> str:
    """The WGS84 UTM CRS (``EPSG:326zz`` north, ``EPSG:327zz`` south) of a point."""
    zone = int((lon + 180) // 6) % 60 + 1
    return f"EPSG:{(32600 if lat >= 0 else 32700) + zone}"


def set_crs(collection: dict[str, Any]) -> str:
    """The CRS areas are measured in: the scene's grid recorded with the set, else the UTM zone
    of the first feature."""
    grid = collection.get("label_set", {}).get("grid") or {}
    if grid.get("crs"):
        return str(grid["crs"])
    features = collection.get("features") or []
    if not features:
        return "EPSG:32633"
    c = shape(features[0]["geometry"]).centroid
    return utm_zone(c.x, c.y)


def project_to(geom: BaseGeometry, crs: str) -> BaseGeometry:
    """A WGS84 shapely geometry in ``crs`` (a UTM zone: metres)."""
    project = Transformer.from_crs("EPSG:4326", CRS.from_user_input(crs), always_xy=True).transform
    return transform(project, geom)


def area_ha(geometry: dict[str, Any], crs: str) -> float:
    """Area of a WGS84 polygon in hectares, measured in ``crs`` (a UTM zone), not in degrees."""
    return float(project_to(shape(geometry), crs).area) / 10_000


def outline_key(geometry: dict[str, Any]) -> bytes:
    """What two outlines within about a centimetre (:data:`SAME_OUTLINE`) have in common, whatever
    their vertex order, orientation or starting point."""
    geom = shapely.set_precision(shape(geometry), SAME_OUTLINE)
    return bytes(shapely.to_wkb(shapely.normalize(geom)))


def export_decimals(crs: CRS | str) -> int:
    """Decimal places that keep about 1 cm: 7 for degrees, 2 for metres."""
    return DECIMALS if CRS.from_user_input(crs).is_geographic else METRE_DECIMALS


def rounded(geoms: np.ndarray, crs: CRS | str, ids: Sequence[str]) -> np.ndarray:
    """Shapely geometries in ``crs`` with coordinates rounded to :func:`export_decimals` places.

    Rounding never makes a valid polygon invalid: one it would (a vertex moved across a nearby
    edge) keeps the fewest more places that leave it valid, or its coordinates as they were,
    and a warning names it (by its id in ``ids``).
    """
    places = export_decimals(crs)
    before = np.asarray(geoms, dtype=object)
    after: np.ndarray = shapely.transform(before, lambda xy: np.round(xy, places))
    for i in map(int, np.flatnonzero(shapely.is_valid(before) & ~shapely.is_valid(after))):
        after[i] = before[i]
        for more in range(places + 1, places + MORE_DECIMALS + 1):
            candidate = shapely.transform(before[i], lambda xy, n=more: np.round(xy, n))
            if candidate.is_valid:
                after[i] = candidate
                break
        log.warning(
            "feature %s: rounding to %d decimals would make it invalid; written with more",
            ids[i],
            places,
        )
    return after
