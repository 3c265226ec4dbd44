"""The Label page's suggest mode (not a page itself): a click inside a field proposes its
outline (:mod:`labels.suggest`), shown dashed until it is accepted or rejected."""

from __future__ import annotations

from typing import Any

from shapely.geometry import shape

from imagery.raster import Raster
from labels.edits import NewPolygonRules
from labels.features import Feature
from labels.suggest import Suggestion, proposals

SUGGEST = "Suggest outlines: click inside a field"
SUGGEST_HELP = (
    "A click inside a field on the map proposes its outline, dashed, found from the image's "
    "colours (no download, well under a second). Enter or ✓ Accept saves it with the class "
    "chosen above, as an ordinary polygon; Esc or ✗ Reject drops it. When it holds only part "
    "of the field, or runs into the next one, the + and - keys (or + Larger and − Smaller) try "
    "the next outline around the same click. Once five fields are labelled on the image, "
    "outlines of about their size are preferred. Turn this off to draw and edit with the "
    "map's toolbar only."
)
ACCEPT, REJECT = "✓ Accept outline", "✗ Reject"
LARGER, SMALLER = "+ Larger", "− Smaller"
STEP_HELP = (
    "The next outline around the same click, at least 1.4 times larger (or smaller) in area: "
    "for an outline that holds only part of its field, or runs into the next one."
)


def propose(
    raster: Raster,
    lon: float,
    lat: float,
    shown: list[Feature],
    rules: NewPolygonRules,
    second: Raster | None = None,
) -> tuple[dict[str, Any] | None, str]:
    """The outline around (lon, lat) as Accept would save it (:func:`labels.suggest.proposal`,
    with the ``second`` date when one is loaded), or None and why not."""
    found = next(proposals(raster, lon, lat, [f["geometry"] for f in shown], rules, second))
    return found.geometry, _said(found, 0)


def stepped(
    raster: Raster,
    at: tuple[float, float],
    shown: list[Feature],
    rules: NewPolygonRules,
    second: Raster | None,
    current: dict[str, Any],
    step: int,
) -> tuple[dict[str, Any] | None, str, int]:
    """The outline ``step`` times Larger or Smaller for the click ``at``, or further on in the
    same direction (up to 3 more) while clipping against the polygons ``shown`` leaves the
    outline ``current`` (a larger outline that ran into a labelled field): the outline, the
    status and the step it is. One sweep of the regions around the click serves them all."""
    direction = 1 if step > 0 else -1
    tried = [step + k * direction for k in range(4)]
    geometries = [f["geometry"] for f in shown]
    found_at = proposals(raster, *at, geometries, rules, second, tried)
    for now, found in zip(tried, found_at, strict=True):
        if found.geometry is None or _overlap(found.geometry, current) < 0.95:
            return found.geometry, _said(found, now), now
    more = "larger" if direction > 0 else "smaller"
    return None, f"No {more} outline around this click: the one shown stays.", step


def _said(found: Suggestion, step: int) -> str:
    """The status line for an outline found ``step`` times Larger or Smaller, or for none."""
    if found.geometry is None:
        if step:
            more = "larger" if step > 0 else "smaller"
            why = "" if found.reason.startswith(f"no {more} outline") else f" ({found.reason})"
            return f"No {more} outline around this click{why}: the one shown stays."
        return f"No outline here: {found.reason}."
    return f"Suggested outline (dashed){steps(step)}, {sureness(found.confidence)}."


def _overlap(a: dict[str, Any], b: dict[str, Any]) -> float:
    """Intersection over union of two WGS84 polygons, in degrees (enough to tell the same)."""
    one, two = shape(a), shape(b)
    return float(one.intersection(two).area / max(one.union(two).area, 1e-18))


def steps(step: int) -> str:
    """How far Larger or Smaller moved an outline, for the status line."""
    if not step:
        return ""
    count = "1 step" if abs(step) == 1 else f"{abs(step)} steps"
    return f", {count} {'larger' if step > 0 else 'smaller'}"


def sureness(confidence: float | None) -> str:
    """The method's confidence in words, with its value: on the development set's tuning half,
    outlines with a confidence of 0.67 or more had a median IoU of 0.79 with the fields drawn
    by hand, those from 0.34 to 0.67 0.62, those under 0.34 0.46 (docs/benchmarks.md)."""
    value = confidence or 0.0
    word = "high" if value >= 0.67 else "medium" if value >= 0.34 else "low"
    return f"confidence {word} ({value:.2f})"
