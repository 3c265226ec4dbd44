"""The Label page's suggest mode (not a page itself): a click inside a field proposes its
outline (:mod:`labels.suggest`), shown dashed until it is accepted or rejected."""

from __future__ import annotations

from typing import Any

from shapely.geometry import shape

from imagery.raster import Raster
from labels.features import INSIDE, Feature, LabelError, clip_to_neighbours, polygon_geometry
from labels.suggest import suggest

SUGGEST = "Suggest outlines: click inside a field"
SUGGEST_HELP = (
    "A click inside a field on the map proposes its outline, dashed, found from the image's "
    "colours (no download, well under a second). Enter or ✓ Accept saves it with the class "
    "chosen above, as an ordinary polygon; Esc or ✗ Reject drops it. Turn this off to draw "
    "and edit with the map's toolbar only."
)
ACCEPT, REJECT = "✓ Accept outline", "✗ Reject"


def propose(
    raster: Raster, lon: float, lat: float, shown: list[Feature], clip: bool
) -> tuple[dict[str, Any] | None, str]:
    """The outline around (lon, lat), cut off the polygons already saved when ``clip`` is on
    (as a drawn one would be), or None and why not."""
    found = suggest(raster, lon, lat)
    if found.geometry is None:
        return None, f"No outline here: {found.reason}."
    geometry = polygon_geometry(found.geometry)
    if clip:
        try:
            geometry = clip_to_neighbours(geometry, [f["geometry"] for f in shown])
        except LabelError as err:
            reason = "this field is already labelled" if str(err) == INSIDE else str(err)
            return None, f"No outline here: {reason}."
        if shape(geometry).area < 0.01 * shape(found.geometry).area:
            return None, "No outline here: this field is already labelled."
    return geometry, "Suggested outline (dashed): accept it, or click elsewhere."
