"""The Label page's suggest mode (not a page itself): a click inside a field proposes its
outline (:mod:`labels.suggest`), shown dashed until it is accepted or rejected."""

from __future__ import annotations

from typing import Any

from imagery.raster import Raster
from labels.edits import NewPolygonRules, new_polygon
from labels.features import INSIDE, Feature, LabelError
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
    raster: Raster, lon: float, lat: float, shown: list[Feature], rules: NewPolygonRules
) -> tuple[dict[str, Any] | None, str]:
    """The outline around (lon, lat) as Accept would save it (snapped, cut to the image, clipped
    off the polygons already saved when ``rules.clip``), or None and why not."""
    found = suggest(raster, lon, lat)
    if found.geometry is None:
        return None, f"No outline here: {found.reason}."
    try:
        geometry = new_polygon(found.geometry, [f["geometry"] for f in shown], rules)
    except LabelError as err:
        reason = "this field is already labelled" if str(err) == INSIDE else str(err)
        return None, f"No outline here: {reason}."
    return geometry, "Suggested outline (dashed): accept it, or click elsewhere."
