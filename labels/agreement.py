"""Agreement between annotators: the fields of two label sets (or of two annotators of one set)
matched one to one, as counts, mean IoU and the share of matched pairs given the same class.

Two polygons match when their intersection over union (IoU), measured in metres in set A's CRS
(:func:`labels.geometry.set_crs`: its scene's grid, else the UTM zone of its first polygon; set
B's when A is empty), is at least :data:`MIN_IOU`. Candidate pairs are the polygons whose boxes
meet (an STRtree over B), so two sets of 5,000 fields compare in about a second. Matching is
greedy: the pair of highest IoU first, then the next pair whose two polygons are both still
free (ties in the sets' order). When the polygons of each set do not overlap one another, a
polygon has at most one partner above 0.5 (two would each hold more than half of it), so the
matching is the only one there is; greedy only decides between overlapping polygons of one set,
or at an IoU of exactly 0.5.

Geometries are treated as an import treats them: an invalid polygon (a self-intersection) is
repaired (:func:`labels.features.polygon_geometry`), and a feature that is no polygon (none, a
point, empty, no area, not in longitude/latitude) is refused with :class:`LabelError` naming the
set and the feature, never left out silently: the counts always cover every feature.
"""

from __future__ import annotations

from typing import Any, TypedDict

import numpy as np
import shapely
from shapely.geometry import shape

from labels.features import LabelError, polygon_geometry
from labels.geometry import project_to, set_crs
from labels.stats import name_in

#: The least IoU at which two polygons are the same field.
MIN_IOU = 0.5
POLYGONS = ("Polygon", "MultiPolygon")


class Agreement(TypedDict):
    """What two label sets agree on (the keys of ``python -m labels agreement``'s JSON).

    Attributes:
        matched: pairs of polygons matched one to one (IoU at least :data:`MIN_IOU`).
        only_a: polygons of A in no pair.
        only_b: polygons of B in no pair.
        mean_iou: mean IoU of the matched pairs, ``None`` when there is none.
        class_agreement: share (0 to 1) of the matched pairs whose two polygons have the same
            ``crop_class`` (compared as :func:`labels.imports.match_classes` does: case and
            surrounding spaces aside; a missing class is ``"?"``, as
            :func:`labels.stats.area_by_class` names it), ``None`` when there is no pair.
    """

    matched: int
    only_a: int
    only_b: int
    mean_iou: float | None
    class_agreement: float | None


def agreement(a: dict[str, Any], b: dict[str, Any]) -> Agreement:
    """How far label sets ``a`` and ``b`` (FeatureCollections in WGS84) agree.

    Raises:
        LabelError: a feature of either that is no polygon (see the module's docstring).
    """
    crs = set_crs(a if a.get("features") else b)
    in_a = project_to(_polygons(a, "A"), crs)
    in_b = project_to(_polygons(b, "B"), crs)
    pairs = _matches(in_a, in_b)
    same = [_class(a["features"][i]) == _class(b["features"][j]) for i, j, _ in pairs]
    n = len(pairs)
    return {
        "matched": n,
        "only_a": len(in_a) - n,
        "only_b": len(in_b) - n,
        "mean_iou": float(np.mean([iou for _, _, iou in pairs])) if n else None,
        "class_agreement": sum(same) / n if n else None,
    }


def of_annotator(collection: dict[str, Any], name: str, where: str = "this set") -> dict[str, Any]:
    """The polygons annotator ``name`` drew in ``collection`` (named as
    :func:`labels.stats.by_annotator` names them), with the set's other members (its grid);
    ``where`` names the set in the message.

    Raises:
        LabelError: ``name`` drew none of them.
    """
    features = [f for f in collection.get("features", []) if name_in(f, "annotator") == name]
    if not features:
        names = sorted({name_in(f, "annotator") for f in collection.get("features", [])})
        raise LabelError(
            f"no polygon of annotator {name!r} in {where}; its annotators: "
            f"{', '.join(map(repr, names)) or 'none'}"
        )
    return {**collection, "features": features}


def _class(feature: dict[str, Any]) -> str:
    return name_in(feature, "crop_class").strip().casefold()


def _polygons(collection: dict[str, Any], which: str) -> np.ndarray:
    """The features' geometries (WGS84 shapely, in order), invalid ones repaired.

    Raises:
        LabelError: a feature with no polygon, or one outside longitude/latitude ranges.
    """
    geoms = []
    for i, feature in enumerate(collection.get("features") or [], start=1):
        geometry = feature.get("geometry") if isinstance(feature, dict) else None
        try:
            if geometry is None:
                raise LabelError("it has no geometry")
            polygon = isinstance(geometry, dict) and geometry.get("type") in POLYGONS
            geom = shape(geometry) if polygon else None
            if geom is None or not geom.is_valid or geom.is_empty:  # refused, or repaired
                geom = shape(polygon_geometry(geometry))
        except (LabelError, ValueError, TypeError, AttributeError, IndexError) as err:
            raise LabelError(f"set {which}: feature {i}: {err}") from err
        geoms.append(geom)
    found = np.array(geoms, dtype=object)
    if len(found):
        west, south, east, north = shapely.total_bounds(found)
        if not (west >= -180 and east <= 180 and south >= -90 and north <= 90):
            raise LabelError(f"set {which}: coordinates must be longitude/latitude in degrees")
    return found


def _matches(a: np.ndarray, b: np.ndarray) -> list[tuple[int, int, float]]:
    """Pairs ``(index in a, index in b, IoU)`` of polygons (in metres) matched one to one,
    greedily by descending IoU, each at least :data:`MIN_IOU`."""
    if not len(a) or not len(b):
        return []
    ia, ib = shapely.STRtree(b).query(a, predicate="intersects")
    overlap = shapely.area(shapely.intersection(a[ia], b[ib]))
    iou = overlap / (shapely.area(a)[ia] + shapely.area(b)[ib] - overlap)
    keep = iou >= MIN_IOU
    ia, ib, iou = ia[keep], ib[keep], iou[keep]
    used_a: set[int] = set()
    used_b: set[int] = set()
    pairs = []
    for k in np.lexsort((ib, ia, -iou)):  # highest IoU first, ties in the sets' order
        i, j = int(ia[k]), int(ib[k])
        if i not in used_a and j not in used_b:
            used_a.add(i)
            used_b.add(j)
            pairs.append((i, j, float(iou[k])))
    return pairs
