"""The Label page's other date (not a page itself): another acquisition of the ground the area
was read from (the other dates of a multi-date file, or of the same tile), read on the area's
grid, shown on the label map in place of the loaded date with the D key
(:mod:`webmap.dates`), and, when asked (*Suggest from both dates*, off at first: measured, it
did not help on the held-out fields), given to the suggestions (:mod:`labels.suggest`).

The choice is the sidebar's *Other date*: none at first, as in QGIS, where a second layer is
added on purpose. It is kept in the page's address (``other``, :mod:`views.workspace`) until
another area is loaded or *none* is chosen; one the area has no longer (a file gone, a STAC
acquisition not searched again since a reload) is not restored, and leaves the address.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import streamlit as st

from imagery.dates import other_dates, read_on_grid
from imagery.errors import UserError
from imagery.raster import Raster
from imagery.scene import Scene
from views.common import local_catalog, write_address
from views.label_state import LabelPageState
from views.markdown import plain
from views.workspace import OTHER_KEY
from webmap.dates import TwoDates
from webmap.render import Overlay, overlay

OTHER_DATE = "Other date"
BOTH = "Suggest from both dates"
NONE = ""
_KEY = "other_date"  # the loaded area's other dates, the one shown, those read (or why not)
OTHER_DATE_HELP = (
    "Another acquisition of the same ground (another date of a multi-date file, or of the same "
    "tile), read for this area at 10 m. The key D switches the map between the two dates; the "
    "polygons stay as they are, and new ones record the date shown (date_shown). The choice is "
    "kept in the page's address, so a reload keeps it."
)
BOTH_HELP = (
    "Suggested outlines then follow a border seen in either date. Off by default: on the "
    "held-out Austria fields (outlined on the first date) it gave worse outlines than the "
    "first date alone (median IoU 0.68 against 0.77, docs/benchmarks.md)."
)


@dataclass(frozen=True)
class OtherDate:
    """The other date of the loaded area: its acquisition, its pixels on the area's grid
    (``(C, H, W)`` reflectance, NaN where it has no data), its map picture (its own 2-98 %
    stretch: two seasons differ in brightness), and whether suggestions use it."""

    scene: Scene
    raster: Raster
    image: Overlay
    suggest: bool = False


def other_date(side: Any, state: LabelPageState) -> OtherDate | None:
    """The sidebar's choice of another date of the loaded area (shown only when the catalogue
    holds one), read once; the label map is built anew when the choice changes. A choice from
    the address that is not among the area's other dates is dropped, and the address rewritten
    without it."""
    scene, area, original = (st.session_state[k] for k in ("scene", "area", "original"))
    memo: dict[str, Any] = st.session_state.setdefault(_KEY, {})
    place = (scene.id, tuple(area))
    if memo.get("place") != place:  # the catalogue is read once for each loaded area
        scenes = local_catalog().search(area) + list(st.session_state["stac_scenes"])
        memo.clear()
        memo.update(place=place, choices=other_dates(scene, scenes, area), shown=NONE, read={})
    choices: dict[str, Scene] = {s.id: s for s in memo["choices"]}
    if st.session_state.get(OTHER_KEY, NONE) not in (NONE, *choices):
        del st.session_state[OTHER_KEY]
        write_address()
    if not choices:
        return None
    chosen = side.selectbox(
        OTHER_DATE,
        [NONE, *choices],
        format_func=lambda i: "none" if i == NONE else choices[i].label,  # text, not Markdown
        help=OTHER_DATE_HELP,
        key=OTHER_KEY,
    )
    if chosen != memo["shown"]:
        memo["shown"] = chosen
        state.remount()
    if chosen == NONE:
        return None
    read: dict[str, OtherDate | str] = memo["read"]  # read once: an error too (not retried)
    if chosen not in read:
        try:
            raster = read_on_grid(choices[chosen], original)
            read[chosen] = OtherDate(choices[chosen], raster, overlay(raster, "true"))
        except UserError as err:
            read[chosen] = f"The other date cannot be read: {err}"
    held = read[chosen]
    if isinstance(held, str):
        side.error(plain(held))
        return None
    return replace(held, suggest=side.checkbox(BOTH, value=False, help=BOTH_HELP))


def two_dates(other: OtherDate | None, scene: Scene, image: str) -> TwoDates | None:
    """What the label map shows of the two dates, drawing on ``image`` of ``scene``."""
    if other is None:
        return None
    loaded = scene.label + (" · enhanced x4" if image == "enhanced" else "")
    return TwoDates(
        other.image, (loaded, other.scene.label + " · 10 m"), (scene.id, other.scene.id)
    )


def drawn_on(drawings: list[dict[str, Any]] | None, dates: TwoDates | None) -> str | None:
    """The date the new drawings of a map report were drawn on (their ``date_shown``, stamped
    by the map), when the map shows two dates and it is one of them."""
    if dates is None:
        return None
    stamps = {
        (d.get("properties") or {}).get("date_shown")
        for d in drawings or []
        if not (d.get("properties") or {}).get("id")
    }
    return stamps.pop() if len(stamps) == 1 and stamps <= set(dates.ids) else None
