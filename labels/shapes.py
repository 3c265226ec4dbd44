"""Shape edits of saved polygons, as QGIS annotators know them: split a polygon along a line,
merge neighbours into one, cut a hole.

Each function returns the features to write and the ids to delete, for one save
(:class:`labels.edits.Edits`), so one undo brings back what was there; a shape that cannot be made
raises :class:`labels.features.LabelError` with a message for the user, and nothing is changed.

Decisions (where QGIS leaves a choice to the user):
- a split makes new polygons (new ids, ``split_from`` naming the original) that keep every other
  property of the original, its annotator included (the journal records who split it);
- a merge keeps the first selected polygon (its id, class and provenance) with the union as its
  outline and deletes the others; polygons that do not share an edge (or overlap) are refused,
  so a label is never a MultiPolygon of separate parts;
- a hole (QGIS's Add Ring) must lie wholly inside the polygon, as in QGIS; a hole is filled again
  by drawing a polygon over it (clipping makes it fill the hole exactly) and merging the two.
"""

from __future__ import annotations

import copy
import uuid
from dataclasses import dataclass, field
from typing import Any

import shapely
from shapely.geometry import LineString, shape
from shapely.geometry.base import BaseGeometry
from shapely.ops import split as split_geometry

from labels.edits import TOLERANCE, Changes, Edits, NewPolygonRules, Refused, plan_edits
from labels.features import (
    INSIDE,
    Feature,
    LabelError,
    as_geojson,
    now,
    polygon_geometry,
    snap_to_neighbours,
)
from labels.review import unreviewed

#: A piece of a split smaller than this share of the polygon is a sliver of a line drawn along an
#: edge: the split is refused.
SLIVER = 1e-4


@dataclass
class Reshaped:
    """What a shape edit saves: features to write (new or changed), ids to delete, how many of the
    written features are new, and what was done, for the status line."""

    upserts: list[Feature] = field(default_factory=list)
    deletes: list[str] = field(default_factory=list)
    added: int = 0
    what: str = ""


def split(feature: Feature, line: dict[str, Any]) -> Reshaped:
    """``feature`` cut along ``line`` (a GeoJSON LineString in WGS84), as QGIS's Split Features.

    Returns:
        Two or more new features, each a piece with the original's properties, a new id and
        ``split_from`` its id; the original deleted.

    Raises:
        LabelError: ``line`` is not a line, or does not cross the polygon from one side to the
            other (nothing to cut), or leaves a sliver.
    """
    if not isinstance(line, dict) or line.get("type") != "LineString":
        raise LabelError("draw a line (the ⟋ tool) across the polygon to split it")
    polygon, cut = shape(feature["geometry"]), LineString(line["coordinates"])
    pieces = [p for p in split_geometry(polygon, cut).geoms if p.area > 0]
    if len(pieces) < 2:
        raise LabelError(
            "the line does not cross the polygon from one side to the other: nothing was split"
        )
    if min(p.area for p in pieces) < SLIVER * polygon.area:
        raise LabelError("the line runs along the polygon's edge: splitting would leave a sliver")
    made = [_piece(feature, p) for p in sorted(pieces, key=lambda p: -p.area)]
    return Reshaped(made, [feature["id"]], len(made), f"split into {len(made)} polygons")


def _piece(feature: Feature, geom: BaseGeometry) -> Feature:
    fid, stamp = uuid.uuid4().hex, now()
    props = copy.deepcopy(feature["properties"])
    props.update(id=fid, created=stamp, updated=stamp, rev=1, split_from=feature["id"])
    props.update(unreviewed())  # a review was of the whole field
    props.pop("area_ha", None)  # set again when saved
    return {"type": "Feature", "id": fid, "geometry": as_geojson(geom), "properties": props}


def merge(features: list[Feature]) -> Reshaped:
    """``features`` made one polygon, as QGIS's Merge Selected Features: the first keeps its id,
    class and provenance with the union of all as its outline; the others are deleted.

    The union is taken on the grid of stored coordinates (1e-7 degrees): a neighbour clipped
    against a field has corners on the field's edge rounded to that grid, a centimetre or less off
    it, and would otherwise leave a gap between the two.

    Args:
        features: the polygons to merge, the first selected first.

    Raises:
        LabelError: fewer than two polygons, or they do not make one polygon (some share no
            edge with the others: touching at a corner is not enough).
    """
    if len(features) < 2:
        raise LabelError("select two or more neighbouring polygons to merge")
    union = shapely.union_all([shape(f["geometry"]) for f in features], grid_size=1e-7)
    if union.geom_type != "Polygon":
        raise LabelError(
            "the polygons do not all share an edge with the others (a label is one piece)"
        )
    first = features[0]
    merged = {**first, "geometry": polygon_geometry(as_geojson(union))}
    classes = sorted({f["properties"]["crop_class"] for f in features[1:]})
    kept = first["properties"]["crop_class"]
    what = f"{len(features)} polygons merged into one {kept}"
    dropped = [c for c in classes if c != kept]
    if dropped:
        what += f" (the class of the first selected; {', '.join(dropped)} dropped)"
    return Reshaped([merged], [f["id"] for f in features[1:]], 0, what)


def cut_hole(feature: Feature, hole: dict[str, Any]) -> Reshaped:
    """``feature`` with the polygon ``hole`` (WGS84 GeoJSON) cut out, as QGIS's Add Ring.

    A hole touching the outline makes a notch; the polygon keeps its id and properties.

    Raises:
        LabelError: ``hole`` does not lie wholly inside the polygon, or would cut it in two.
    """
    polygon, ring = shape(feature["geometry"]), shape(hole)
    if not polygon.covers(ring):
        raise LabelError(
            "a hole must lie wholly inside the selected polygon: draw it inside, or draw a new "
            "field over the edge instead"
        )
    left = polygon.difference(ring)
    if left.geom_type != "Polygon" or left.is_empty:
        raise LabelError("the hole would cut the polygon in pieces: split it with a line instead")
    cut = {**feature, "geometry": polygon_geometry(as_geojson(left))}
    return Reshaped([cut], [], 0, "a hole cut")


def plan(
    changes: Changes, shown: list[Feature], rules: NewPolygonRules, selected: list[Feature]
) -> Edits:
    """The map's changes as one save, drawings on a selected polygon made shape edits.

    With one polygon selected, a line drawn on the map splits it (:func:`split`) and a polygon
    drawn wholly inside it is cut out as a hole (:func:`cut_hole`); every other drawing is what
    :func:`labels.edits.plan_edits` makes of it (a polygon partly outside the selected one is an
    ordinary new polygon). A line with no single polygon selected, or that cannot split it, is
    refused with the reason.
    """
    target = selected[0] if len(selected) == 1 else None
    lines = [g for g in changes.new if g.get("type") == "LineString"]
    holes: list[dict[str, Any]] = []
    drawn: list[dict[str, Any]] = []
    for geometry in changes.new:
        if geometry.get("type") != "LineString":
            hole = _hole(geometry, target)
            (holes if hole else drawn).append(hole or geometry)
    edits = plan_edits(Changes(drawn, changes.changed, changes.deleted), shown, rules)
    for refused in edits.refused:
        if refused.reason.endswith(INSIDE):
            refused.reason += " (to cut a hole, select the polygon first)"
    for geometry in holes + lines:
        try:
            if target is None or target["id"] in edits.deletes:
                raise LabelError("select one polygon, then draw a line across it to split it")
            done = (split if geometry["type"] == "LineString" else cut_hole)(target, geometry)
        except LabelError as err:
            edits.refused.append(Refused(f"a {_kind(geometry)}: {err}", geometry))
            continue
        edits.upserts = [f for f in edits.upserts if f["id"] != target["id"]] + done.upserts
        edits.deletes += done.deletes
        edits.added += done.added
        edits.notes.append(done.what)
        target = done.upserts[0] if not done.deletes else target
    return edits


def _kind(geometry: dict[str, Any]) -> str:
    return "line" if geometry["type"] == "LineString" else "hole"


def _hole(geometry: dict[str, Any], target: Feature | None) -> dict[str, Any] | None:
    """``geometry`` as a hole of ``target`` (snapped to its vertices and edges), when it is a
    polygon lying wholly inside it."""
    if target is None:
        return None
    try:
        hole = snap_to_neighbours(polygon_geometry(geometry), [target["geometry"]], TOLERANCE)
    except LabelError:
        return None
    return hole if shape(target["geometry"]).covers(shape(hole)) else None


def under(features: list[Feature], lon: float, lat: float) -> Feature | None:
    """The last drawn (topmost) of ``features`` whose polygon holds the point, if any."""
    point = shapely.Point(lon, lat)
    hits = [f for f in features if shape(f["geometry"]).covers(point)]
    return hits[-1] if hits else None
