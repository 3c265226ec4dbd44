"""The CRS and area rules of label sets: polygons are stored in WGS84 and measured in the
scene's UTM zone (metres), never in degrees."""

from __future__ import annotations

from typing import Any

import numpy as np
import shapely
from pyproj import CRS, Transformer
from shapely.geometry import shape

#: Outlines closer than this (degrees, about 1 cm) are the same outline.
SAME_OUTLINE = 1e-7


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


def project_to(geom: Any, crs: str) -> Any:
    """WGS84 shapely geometries (one, or an array of them) in ``crs`` (a UTM zone: metres)."""
    return _reprojected(geom, "EPSG:4326", CRS.from_user_input(crs))


def from_crs(geom: Any, crs: str) -> Any:
    """Shapely geometries in ``crs`` back in WGS84 (the inverse of :func:`project_to`)."""
    return _reprojected(geom, CRS.from_user_input(crs), "EPSG:4326")


def _reprojected(geom: Any, source: Any, target: Any) -> Any:
    to_target = Transformer.from_crs(source, target, always_xy=True)
    return shapely.transform(geom, lambda xy: np.column_stack(to_target.transform(*xy.T)))


def area_ha(geometry: dict[str, Any], crs: str) -> float:
    """Area of a WGS84 polygon in hectares, measured in ``crs`` (a UTM zone), not in degrees."""
    return float(project_to(shape(geometry), crs).area) / 10_000


def outline_key(geometry: dict[str, Any]) -> bytes:
    """What two outlines within about a centimetre (:data:`SAME_OUTLINE`) have in common, whatever
    their vertex order, orientation or starting point."""
    geom = shapely.set_precision(shape(geometry), SAME_OUTLINE)
    return bytes(shapely.to_wkb(shapely.normalize(geom)))
