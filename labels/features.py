"""Label features: GeoJSON (RFC 7946) polygons in WGS84 longitude/latitude with their provenance.

Properties of every feature:
    id: unique id (UUID4 hex); crop_class; annotator; created and updated (UTC, ISO 8601);
    scene_id; image: ``"original"`` or ``"enhanced"``; for an enhanced image the enhancement's
    pipeline, preset (Deep Image Prior settings), model_version (hash of the trained weights)
    and consistent (whether it ended with the data-consistency step), else None; rev: revision
    number, raised by each saved change; area_ha (set when saved, in the scene's UTM zone);
    note: free text, optional; review, review_reason, reviewed_by, reviewed_at: the review
    (:mod:`labels.review`), a draft at first.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, shape
from shapely.geometry.base import BaseGeometry
from shapely.validation import make_valid

Feature = dict[str, Any]
IMAGES = ("original", "enhanced")
MAX_VERTICES = 20_000  # per feature: more is no hand-drawn field
#: Decimal places of stored and exported coordinates: 1e-7 degrees is about 1 cm.
DECIMALS = 7
#: Control characters (C0 but tab, DEL, C1): no class or annotator name holds them.
CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f]")
#: Why a new polygon drawn inside saved ones is refused when clipping is on.
INSIDE = "the polygon lies inside its neighbours: nothing is left after clipping"
#: The review properties of a polygon nobody has reviewed (:mod:`labels.review`).
UNREVIEWED: Mapping[str, str | None] = MappingProxyType(
    {"review": "draft", "review_reason": None, "reviewed_by": None, "reviewed_at": None}
)


class LabelError(ValueError):
    """A feature or label set that cannot be accepted, with the reason."""


def now() -> str:
    """The current UTC time, ISO 8601 with seconds."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def polygon_geometry(geometry: dict[str, Any]) -> dict[str, Any]:
    """A valid Polygon or MultiPolygon GeoJSON geometry in WGS84 degrees.

    Self-intersections are repaired (``make_valid``, keeping the polygonal parts).

    Raises:
        LabelError: not a polygon, coordinates not finite or outside longitude/latitude ranges,
            more than 180° of longitude (across the antimeridian), or nothing left after repair.
    """
    if not isinstance(geometry, dict) or geometry.get("type") not in ("Polygon", "MultiPolygon"):
        kind = geometry.get("type") if isinstance(geometry, dict) else type(geometry).__name__
        raise LabelError(f"only polygons can be labels, not {kind}")
    try:
        geom: BaseGeometry = shape(geometry)
    except (ValueError, TypeError, AttributeError, IndexError) as err:
        raise LabelError(f"malformed polygon: {err}") from err
    coords = shapely.get_coordinates(geom)
    if len(coords) > MAX_VERTICES:
        raise LabelError(f"the polygon has {len(coords)} vertices; the limit is {MAX_VERTICES}")
    if not np.isfinite(coords).all():
        raise LabelError("polygon coordinates must be finite numbers")
    west, south, east, north = geom.bounds
    if west < -180 or east > 180 or south < -90 or north > 90:
        raise LabelError("polygon coordinates must be longitude/latitude in degrees")
    if east - west > 180:
        raise LabelError(
            "the polygon spans more than 180° of longitude: it crosses the antimeridian (180°) "
            "and would wrap round the globe; split it there into one polygon on each side"
        )
    if not geom.is_valid:
        geom = _polygonal(make_valid(geom))
    result = as_geojson(geom)
    if geom.is_empty or shape(result).area == 0:
        raise LabelError("the polygon has no area")
    return result


def on_grid(geom: Any) -> Any:
    """WGS84 shapely geometries (one or an array) with coordinates on the grid of
    :data:`DECIMALS` places (about 1 cm), snapped with validity kept (GEOS's precision model),
    and rounded so that they print as the shortest decimal text."""
    snapped = shapely.set_precision(geom, 10.0**-DECIMALS)
    return shapely.transform(snapped, lambda xy: np.round(xy, DECIMALS))


def as_geojson(geom: BaseGeometry) -> dict[str, Any]:
    """A shapely geometry as a GeoJSON geometry dict (plain lists) as RFC 7946 asks: exterior
    rings counter-clockwise and holes clockwise (the right-hand rule), coordinates
    :func:`on_grid`."""
    result: dict[str, Any] = json.loads(shapely.to_geojson(shapely.orient_polygons(on_grid(geom))))
    return result


def _polygonal(geom: BaseGeometry) -> BaseGeometry:
    """The polygons in a geometry (``make_valid`` may return lines and points beside them)."""
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    polygons = [p for part in getattr(geom, "geoms", []) for p in getattr(part, "geoms", [part])]
    polygons = [p for p in polygons if p.geom_type == "Polygon"]
    return polygons[0] if len(polygons) == 1 else MultiPolygon(polygons)


def near_box(
    others: list[dict[str, Any]], bounds: tuple[float, float, float, float], margin: float
) -> list[dict[str, Any]]:
    """The GeoJSON geometries of ``others`` whose outer rings' box comes within ``margin`` of
    ``bounds`` (west, south, east, north): the only ones that can touch a polygon inside it.
    Read from the coordinates, without making shapely geometries (0.17 s for 5,000); a
    geometry of another type is kept."""
    west, south, east, north = bounds
    west, south, east, north = west - margin, south - margin, east + margin, north + margin
    near = []
    for g in others:
        coords = g.get("coordinates")
        if g.get("type") == "Polygon" and coords:
            rings = [coords[0]]
        elif g.get("type") == "MultiPolygon" and coords:
            rings = [p[0] for p in coords if p]
        else:
            near.append(g)
            continue
        xs = [p[0] for ring in rings for p in ring]
        ys = [p[1] for ring in rings for p in ring]
        if xs and min(xs) <= east and max(xs) >= west and min(ys) <= north and max(ys) >= south:
            near.append(g)
    return near


def _shapes(geometries: list[dict[str, Any]]) -> np.ndarray:
    """GeoJSON geometries as shapely ones, in an array: tested all at once (a set holds
    thousands)."""
    return np.array([shape(g) for g in geometries], dtype=object)


def snap_to_neighbours(
    geometry: dict[str, Any], others: list[dict[str, Any]], tolerance: float
) -> dict[str, Any]:
    """``geometry`` with its vertices within ``tolerance`` (degrees) of a neighbour's vertex
    moved onto it, so that a corner snapped on the map (then rounded by Leaflet to 1e-6 degrees)
    is the neighbour's corner exactly."""
    geom = shape(geometry)
    near = _shapes(others)
    near = near[shapely.dwithin(near, geom, tolerance)]
    if not len(near):
        return geometry
    snapped = _polygonal(make_valid(shapely.snap(geom, shapely.union_all(near), tolerance)))
    return as_geojson(snapped) if not snapped.is_empty and snapped.area > 0 else geometry


def clip_to_neighbours(geometry: dict[str, Any], others: list[dict[str, Any]]) -> dict[str, Any]:
    """``geometry`` minus the polygons it overlaps among ``others`` (all WGS84 GeoJSON).

    Raises:
        LabelError: nothing is left.
    """
    geom = shape(geometry)
    near = _shapes(others)
    near = near[shapely.intersects(near, geom)]
    if len(near):
        geom = _polygonal(make_valid(geom.difference(shapely.union_all(near))))
    if geom.is_empty or geom.area == 0:
        raise LabelError(INSIDE)
    return as_geojson(geom)


def within_image(geometry: dict[str, Any], footprint: dict[str, Any]) -> dict[str, Any]:
    """The part of ``geometry`` inside the image ``footprint`` (both WGS84 GeoJSON).

    Raises:
        LabelError: it lies wholly outside.
    """
    geom, image = shape(geometry), shape(footprint)
    if image.contains(geom):
        return geometry
    inside = _polygonal(make_valid(geom.intersection(image)))
    if inside.is_empty or inside.area == 0:
        raise LabelError("it lies outside the loaded image, where nothing can be seen")
    return as_geojson(inside)


def new_feature(
    geometry: dict[str, Any],
    crop_class: str,
    annotator: str,
    scene_id: str,
    image: str,
    pipeline: str | None = None,
    preset: str | None = None,
    model_version: str | None = None,
    consistent: bool | None = None,
) -> Feature:
    """A new label feature with a fresh id and timestamps.

    Raises:
        LabelError: invalid geometry, empty class or annotator, a control character in either,
            unknown image.
    """
    if not crop_class.strip():
        raise LabelError("choose a crop class")
    if not annotator.strip():
        raise LabelError("enter the annotator's name")
    for what, text in (("crop class", crop_class), ("annotator's name", annotator)):
        if CONTROL.search(text):
            raise LabelError(f"the {what} {text!r} holds a control character; remove it")
    if image not in IMAGES:
        raise LabelError(f"image must be one of {IMAGES}, not {image!r}")
    stamp, fid = now(), uuid.uuid4().hex
    return {
        "type": "Feature",
        "id": fid,
        "geometry": polygon_geometry(geometry),
        "properties": {
            "id": fid,
            "crop_class": crop_class.strip(),
            "annotator": annotator.strip(),
            "created": stamp,
            "updated": stamp,
            "scene_id": scene_id,
            "image": image,
            "pipeline": pipeline if image == "enhanced" else None,
            "preset": preset if image == "enhanced" else None,
            "model_version": model_version if image == "enhanced" else None,
            "consistent": consistent if image == "enhanced" else None,
            "rev": 1,
            "note": "",
            **UNREVIEWED,
        },
    }
