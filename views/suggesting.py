"""The Label page's suggest mode (not a page itself): a click inside a field proposes its
outline (:mod:`labels.suggest`), shown dashed until it is accepted or rejected."""

from __future__ import annotations

from typing import Any

from shapely.geometry import shape

from imagery.raster import Raster
from labels.edits import NewPolygonRules
from labels.features import Feature, LabelError
from labels.suggest import proposal

SUGGEST = "Suggest outlines: click inside a field"
SUGGEST_HELP = (
    "A click inside a field on the map proposes its outline, dashed, found from the image's "
    "colours (no download, well under a second). Enter or ✓ Accept saves it with the class "
    "chosen above, as an ordinary polygon; Esc or ✗ Reject drops it. When it holds only part "
    "of the field, or runs into the next one, the + and - keys (or + Larger and − Smaller) try "
    "the next outline around the same click. Turn this off to draw and edit with the map's "
    "toolbar only."
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
    step: int = 0,
) -> tuple[dict[str, Any] | None, str]:
    """The outline around (lon, lat) as Accept would save it (:func:`labels.suggest.proposal`,
    with the ``second`` date when one is loaded, ``step`` times Larger or Smaller), or None and
    why not."""
    try:
        found = proposal(raster, lon, lat, [f["geometry"] for f in shown], rules, second, step)
    except LabelError as err:
        if step:
            more = "larger" if step > 0 else "smaller"
            return None, f"No {more} outline around this click ({err}): the one shown stays."
        return None, f"No outline here: {err}."
    return found.geometry, f"Suggested outline (dashed){steps(step)}, {sureness(found.confidence)}."


def stepped(
    raster: Raster,
    at: tuple[float, float],
    shown: list[Feature],
    rules: NewPolygonRules,
    second: Raster | None,
    current: dict[str, Any],
    step: int,
) -> tuple[dict[str, Any] | None, str, int]:
    """:func:`propose` at ``step`` for the click ``at``, or further on in the same direction
    while clipping against the polygons ``shown`` leaves the outline ``current`` (a larger
    outline that ran into a labelled field): the outline, the status and the step it is."""
    direction = 1 if step > 0 else -1
    for _ in range(4):
        found, said = propose(raster, *at, shown, rules, second, step)
        if found is None or _overlap(found, current) < 0.95:
            return found, said, step
        step += direction
    more = "larger" if direction > 0 else "smaller"
    return None, f"No {more} outline around this click: the one shown stays.", step


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
    by hand, those from 0.34 to 0.67 0.54 (docs/benchmarks.md)."""
    value = confidence or 0.0
    word = "high" if value >= 0.67 else "medium" if value >= 0.34 else "low"
    return f"confidence {word} ({value:.2f})"
