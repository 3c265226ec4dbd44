"""The Label page's suggest mode (not a page itself): a click inside a field proposes its
outline (:mod:`labels.suggest`), shown dashed until it is accepted or rejected."""

from __future__ import annotations

from typing import Any

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
            return (
                None,
                f"Nothing {'larger' if step > 0 else 'smaller'}: {err}. The outline shown stays.",
            )
        return None, f"No outline here: {err}."
    moved = "" if not step else f", {abs(step)} x {'larger' if step > 0 else 'smaller'}"
    return (
        found.geometry,
        f"Suggested outline (dashed){moved}, {sureness(found.confidence)}: accept it, try "
        "Larger or Smaller, or click elsewhere.",
    )


def sureness(confidence: float | None) -> str:
    """The method's confidence in words, with its value: on the development set's tuning half,
    outlines with a confidence of 0.67 or more had a median IoU of 0.79 with the fields drawn
    by hand, those from 0.34 to 0.67 0.54 (docs/benchmarks.md)."""
    value = confidence or 0.0
    word = "high" if value >= 0.67 else "medium" if value >= 0.34 else "low"
    return f"confidence {word} ({value:.2f})"
