"""Summaries of a label set: areas in the scene's UTM zone, per class and per annotator."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
from pyproj import CRS, Transformer
from shapely.geometry import shape
from shapely.ops import transform


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


def area_ha(geometry: dict[str, Any], crs: str) -> float:
    """Area of a WGS84 polygon in hectares, measured in ``crs`` (a UTM zone), not in degrees."""
    project = Transformer.from_crs("EPSG:4326", CRS.from_user_input(crs), always_xy=True).transform
    return float(transform(project, shape(geometry)).area) / 10_000


def areas(collection: dict[str, Any]) -> list[float]:
    """Hectares of each feature, in order."""
    crs = set_crs(collection)
    return [area_ha(f["geometry"], crs) for f in collection["features"]]


def _group(collection: dict[str, Any], key: str) -> dict[str, dict[str, float]]:
    totals: dict[str, dict[str, float]] = {}
    for feature, ha in zip(collection["features"], areas(collection), strict=True):
        name = str(feature["properties"].get(key) or "?")
        row = totals.setdefault(name, {"fields": 0, "hectares": 0.0})
        row["fields"] += 1
        row["hectares"] += ha
    total = sum(r["hectares"] for r in totals.values()) or 1.0
    for row in totals.values():
        row["share"] = row["hectares"] / total
    return dict(sorted(totals.items()))


def area_by_class(collection: dict[str, Any]) -> dict[str, dict[str, float]]:
    """``{class: {"fields": count, "hectares": total, "share": of the labelled area}}``."""
    return _group(collection, "crop_class")


def by_annotator(collection: dict[str, Any]) -> dict[str, dict[str, float]]:
    """The same per annotator: who labelled how much."""
    return _group(collection, "annotator")


def size_histogram(values: Iterable[float], bins: int = 10) -> list[tuple[str, int]]:
    """Field sizes (ha) counted in ``bins`` equal bins: ``[("0.5-1.0 ha", n), ...]``."""
    data = np.asarray(list(values), dtype=float)
    if data.size == 0:
        return []
    counts, edges = np.histogram(data, bins=bins)
    return [
        (f"{a:.2f}-{b:.2f} ha", int(n)) for a, b, n in zip(edges, edges[1:], counts, strict=False)
    ]
