"""What changed on the map: drawings returned by Leaflet.draw against the features shown.

Leaflet returns every polygon in the drawing layer (``all_drawings``) as GeoJSON rounded to six
decimals. Polygons shown from the label set keep their properties, so they come back with their
id; new ones come back without. A shown id missing from the drawings was deleted on the map.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from shapely.geometry import shape

from labels.features import Feature

#: Two geometries closer than this (degrees, about 0.2 m) are the same: Leaflet rounds to 1e-6.
TOLERANCE = 2e-6


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
    seen = set()
    for drawing in drawings:
        fid = (drawing.get("properties") or {}).get("id")
        if fid not in by_id:
            changes.new.append(drawing["geometry"])
            continue
        seen.add(fid)
        old = by_id[fid]
        if not shape(old["geometry"]).equals_exact(shape(drawing["geometry"]), TOLERANCE):
            changes.changed.append({**old, "geometry": drawing["geometry"]})
    changes.deleted = [fid for fid in by_id if fid not in seen]
    return changes
