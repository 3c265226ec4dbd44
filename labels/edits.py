"""From the map to the store: what changed on the map, and the save that records it.

``diff_drawings`` compares the drawings returned by Leaflet.draw with the features the map was
built with; ``plan_edits`` turns those changes into the upserts and deletes of one save.

Leaflet returns every polygon in the drawing layer (``all_drawings``) as GeoJSON rounded to six
decimals. Polygons shown from the label set keep their properties, so they come back with their
id; new ones come back without. A shown id missing from the drawings was deleted on the map. The
label map names a polygon it was sent and that was not edited there by its id alone, with no
geometry (``webmap.controls.DrawingAids``): it is unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely
from shapely.geometry import shape

from labels.features import (
    INSIDE,
    Feature,
    LabelError,
    as_geojson,
    clip_to_neighbours,
    near_box,
    new_feature,
    polygon_geometry,
    snap_to_neighbours,
    within_image,
)
from labels.geometry import area_ha, project_to

#: Two geometries closer than this (degrees, about 0.2 m) are the same: Leaflet rounds to 1e-6.
TOLERANCE = 2e-6
#: Parts of a new outline joined only by a strip narrower than this (metres) are two fields:
#: a drawing whose closing click was lost and that went on into the next field.
NECK_M = 10.0


@dataclass
class Changes:
    """Unsaved work on the map."""

    new: list[dict[str, Any]] = field(default_factory=list)  # geometries without an id
    changed: list[Feature] = field(default_factory=list)  # shown features with a new geometry
    deleted: list[str] = field(default_factory=list)  # ids of shown features removed

    def __bool__(self) -> bool:
        return bool(self.new or self.changed or self.deleted)

    def summary(self) -> str:
        return f"{len(self.new)} new, {len(self.changed)} edited, {len(self.deleted)} deleted"


def diff_drawings(drawings: list[dict[str, Any]] | None, shown: list[Feature]) -> Changes:
    """Compare the map's drawings with the features the map was built with.

    Args:
        drawings: ``all_drawings`` from the map, or None before the map reported anything.
        shown: the features the map was built with.
    """
    changes = Changes()
    if drawings is None:
        return changes
    by_id = {f["id"]: f for f in shown}
    seen, pairs = set(), []
    for drawing in drawings:
        fid = (drawing.get("properties") or {}).get("id")
        if fid not in by_id:
            changes.new.append(drawing["geometry"])
            continue
        seen.add(fid)
        if drawing.get("geometry") is not None:  # else named by its id alone: unchanged
            pairs.append((by_id[fid], drawing["geometry"]))
    if pairs:  # compared all at once: the map reports the whole set, thousands of polygons
        old = np.array([shape(f["geometry"]) for f, _ in pairs], dtype=object)
        now = np.array([shape(g) for _, g in pairs], dtype=object)
        same = shapely.equals_exact(old, now, TOLERANCE)
        changes.changed = [
            {**f, "geometry": g} for (f, g), s in zip(pairs, same, strict=True) if not s
        ]
    changes.deleted = [fid for fid in by_id if fid not in seen]
    return changes


@dataclass(frozen=True)
class NewPolygonRules:
    """What a polygon drawn on the map becomes, and what it must satisfy to be saved.

    Attributes:
        crop_class: class given to new polygons.
        annotator: who draws (saved with each polygon).
        scene_id: the scene the polygons are drawn on.
        image: ``"original"`` or ``"enhanced"``.
        made_by: the enhancement's pipeline, preset, model version and whether it ended with the
            data-consistency step (None on the original).
        crs: CRS in which areas are measured (the scene's UTM zone), e.g. ``"EPSG:32633"``.
        clip: cut new polygons so that they do not overlap the polygons already saved.
        min_m2: new polygons smaller than this (square metres, after clipping) are refused.
        footprint: the loaded image (WGS84 GeoJSON), when known: new polygons are cut to it, and
            one that lies wholly outside is refused (nothing there was seen).
        source: recorded as the ``source`` property of new polygons when given (``"suggested"``
            for outlines accepted from :mod:`labels.suggest`).
        date_shown: recorded as the ``date_shown`` property of new polygons when given: the id
            of the acquisition the map showed while they were drawn, when it shows two dates.
    """

    crop_class: str
    annotator: str
    scene_id: str
    image: str
    made_by: tuple[str | None, str | None, str | None, bool | None] = (None, None, None, None)
    crs: str = "EPSG:32633"
    clip: bool = True
    min_m2: float = 100.0
    footprint: dict[str, Any] | None = None
    source: str | None = None
    date_shown: str | None = None


@dataclass
class Refused:
    """A drawing that was not saved: why, and its outline (WGS84 GeoJSON) to show where."""

    reason: str
    geometry: dict[str, Any]


@dataclass
class Edits:
    """One save: features to write (``added`` of them new), ids to delete, the drawings
    refused with their reason, and the shape edits in it (:mod:`labels.shapes`), said in words:
    a save that holds one is applied whole or not at all (:meth:`labels.store.LabelStore.apply`).
    """

    upserts: list[Feature] = field(default_factory=list)
    deletes: list[str] = field(default_factory=list)
    refused: list[Refused] = field(default_factory=list)
    added: int = 0
    notes: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.upserts or self.deletes)

    def summary(self) -> str:
        """What this save holds (refused drawings are not in it)."""
        edited = len(self.upserts) - self.added
        counts = f"{self.added} new, {edited} edited, {len(self.deletes)} deleted"
        return f"{counts}: {'; '.join(self.notes)}" if self.notes else counts


def new_polygon(
    geometry: dict[str, Any], others: list[dict[str, Any]], rules: NewPolygonRules
) -> dict[str, Any]:
    """A new outline as it would be saved: repaired, snapped to ``others``, cut to the image,
    optionally clipped against ``others`` (WGS84 GeoJSON).

    Raises:
        LabelError: not a polygon, wholly outside the image, inside its neighbours, or under
            ``rules.min_m2`` measured in ``rules.crs``.
    """
    drawn = polygon_geometry(geometry)
    # snapping moves vertices by TOLERANCE at most: what it or clipping can touch is near
    others = near_box(others, shape(drawn).bounds, 2 * TOLERANCE)
    geom = snap_to_neighbours(drawn, others, TOLERANCE)
    if rules.footprint is not None:
        geom = within_image(geom, rules.footprint)
    drawn_m2 = area_ha(geom, rules.crs) * 10_000
    if rules.clip:
        geom = clip_to_neighbours(geom, others)
    m2 = area_ha(geom, rules.crs) * 10_000 if rules.clip else drawn_m2
    if m2 < 0.01 * drawn_m2:  # clipping left a rounding sliver
        raise LabelError(INSIDE)
    if m2 < rules.min_m2:
        raise LabelError(f"{m2:.0f} m² is smaller than the minimum of {rules.min_m2:g} m²")
    return geom


def one_field(geometry: dict[str, Any], crs: str, min_m2: float) -> dict[str, Any]:
    """A new outline as one field (WGS84 GeoJSON), never saved as a MultiPolygon of pieces.

    Pieces under ``min_m2`` (or 1 % of the largest) are dropped: a small loop where the outline
    crossed itself, a sliver left by clipping. Measured in ``crs`` (a UTM zone).

    Raises:
        LabelError: two pieces or more are left (the outline crosses itself, or runs across a
            neighbour that cuts it in two), or it is areas joined only by strips narrower than
            :data:`NECK_M` (a drawing continued into the next field).
    """
    geom = shape(geometry)
    parts = list(getattr(geom, "geoms", [geom]))
    metric = project_to(parts, crs)
    areas = shapely.area(metric)
    least = max(min_m2, 0.01 * float(areas.max()))
    kept = [i for i, a in enumerate(areas) if a >= least]
    if len(kept) > 1:
        raise LabelError(
            f"it would be saved as {len(kept)} separate pieces (it crosses itself or runs across "
            "another polygon): draw each field on its own"
        )
    opened = metric[kept[0]].buffer(-NECK_M / 2).buffer(NECK_M / 2)
    blobs = [p for p in getattr(opened, "geoms", [opened]) if p.area >= least]
    if len(blobs) > 1:
        raise LabelError(
            f"it is {len(blobs)} areas joined by a strip narrower than {NECK_M:g} m (was a "
            "drawing left open and continued into the next field?): draw each field on its own; "
            "Enter, or a click on the first point, closes a polygon"
        )
    return geometry if len(parts) == 1 else as_geojson(parts[kept[0]])


def plan_edits(changes: Changes, shown: list[Feature], rules: NewPolygonRules) -> Edits:
    """Turn the map's changes into the upserts and deletes of one save.

    New polygons are made by :func:`new_polygon`, kept whole by :func:`one_field`, and given
    the class and provenance of ``rules``; edited ones are repaired and keep their id, class and
    provenance. A refused drawing is left out with its reason.
    """
    edits = Edits(deletes=list(changes.deleted))
    others = [f["geometry"] for f in shown]
    for geometry in changes.new:
        try:
            feature = new_feature(
                one_field(new_polygon(geometry, others, rules), rules.crs, rules.min_m2),
                rules.crop_class,
                rules.annotator,
                rules.scene_id,
                rules.image,
                *rules.made_by,
            )
            if rules.source:
                feature["properties"]["source"] = rules.source
            if rules.date_shown:
                feature["properties"]["date_shown"] = rules.date_shown
            edits.upserts.append(feature)
            edits.added += 1
        except LabelError as err:
            edits.refused.append(Refused(f"a new polygon: {err}", geometry))
    for feature in changes.changed:
        try:
            edits.upserts.append({**feature, "geometry": polygon_geometry(feature["geometry"])})
        except LabelError as err:
            edits.refused.append(Refused(f"an edit: {err}", feature["geometry"]))
    return edits
