"""Summaries of a label set: field count and area per crop class."""

from __future__ import annotations

from typing import Any

from pyproj import Geod
from shapely.geometry import shape

GEOD = Geod(ellps="WGS84")


def area_ha(geometry: dict[str, Any]) -> float:
    """Geodesic area of a WGS84 polygon on the WGS84 ellipsoid, in hectares."""
    area, _ = GEOD.geometry_area_perimeter(shape(geometry))
    return abs(area) / 10_000


def area_by_class(collection: dict[str, Any]) -> dict[str, dict[str, float]]:
    """``{class: {"fields": count, "hectares": total}}``, classes sorted by name."""
    totals: dict[str, dict[str, float]] = {}
    for feature in collection["features"]:
        crop = feature["properties"].get("crop_class", "?")
        row = totals.setdefault(crop, {"fields": 0, "hectares": 0.0})
        row["fields"] += 1
        row["hectares"] += area_ha(feature["geometry"])
    return dict(sorted(totals.items()))
