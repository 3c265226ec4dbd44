"""Summaries of a label set: areas in the scene's UTM zone, per class and per annotator."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import shapely
from shapely.geometry import shape

from labels.geometry import project_to, set_crs


def areas(collection: dict[str, Any]) -> list[float]:
    """Hectares of each feature, in order, measured in the set's CRS (:func:`set_crs`), all in
    one projection (a set of thousands is measured on every run of the Label page)."""
    geoms = np.array([shape(f["geometry"]) for f in collection["features"]], dtype=object)
    if not len(geoms):
        return []
    return [float(a) / 10_000 for a in shapely.area(project_to(geoms, set_crs(collection)))]


def name_in(feature: dict[str, Any], key: str) -> str:
    """A feature's ``crop_class`` or ``annotator`` as the summaries group it: ``"?"`` when it
    has none."""
    return str(feature["properties"].get(key) or "?")


def _group(collection: dict[str, Any], key: str) -> dict[str, dict[str, float]]:
    totals: dict[str, dict[str, float]] = {}
    for feature, ha in zip(collection["features"], areas(collection), strict=True):
        name = name_in(feature, key)
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
