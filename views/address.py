"""The page's address as working state: the query parameters, encoded and decoded (not a page).

Pure: no Streamlit and no I/O; :mod:`views.workspace` reads and writes the address with it. The
parameters are ``scene`` (and ``source`` when not local) with ``area`` (west, south, east, north
in degrees), the enhancement (``pipeline``, ``preset``, ``consistent=0`` without data
consistency; the one on screen, else the one on its way), the enhancement on its way while
another is on screen (``next``: pipeline, preset and 1 or 0 for the consistency step,
comma-separated), the Label page's other date (``other``: the id of the acquisition chosen,
written with the area), the label ``set``, the labelling map's ``view`` (``lat,lon,zoom``), the
``annotator``, the class new polygons get (``class``) and ``suggest=1`` while click-a-field is
on. A part that is not usable is left out with the reason, said to the user; an enhancement the
app does not know is left out silently (the area opens without it).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from labels.features import LabelError
from labels.names import check_name
from webmap.maps import MAX_ZOOM

#: Decimals of the area's corners and the view's centre in the address (about 0.1 m).
DECIMALS = 6
#: What an area is, as the refusals say it.
AREA_RULE = (
    "four numbers west, south, east, north in degrees (west < east within -180..180, "
    "south < north within -90..90)"
)
#: Annotator and class names are cut to this many characters.
MAX_ANNOTATOR = MAX_CLASS = 80

Area = tuple[float, float, float, float]
#: ``(centre [lat, lon], zoom)`` of the labelling map.
MapView = tuple[list[float], int]


@dataclass(frozen=True)
class Made:
    """An enhancement: its pipeline, its Deep Image Prior preset (``None``: none, or the default
    when decoded) and whether it ends with the data-consistency step."""

    pipeline: str
    preset: str | None = None
    consistent: bool = True


@dataclass(frozen=True)
class Address:
    """The working state an address holds; ``None`` for a part it does not hold. The scene is
    only written with its area, and the enhancement only with both."""

    scene: str | None = None
    source: str = "local"
    area: Area | None = None
    made: Made | None = None
    coming: Made | None = None  # on its way while ``made`` is on screen
    other: str | None = None  # the acquisition id of the Label page's other date
    label_set: str | None = None
    view: MapView | None = None
    annotator: str | None = None
    crop_class: str | None = None
    suggest: bool = False


def encode(address: Address) -> dict[str, str]:
    """The query parameters of ``address``."""
    params: dict[str, str] = {}
    if address.scene is not None and address.area is not None:
        params["scene"] = address.scene
        if address.source != "local":
            params["source"] = address.source
        params["area"] = ",".join(f"{v:.{DECIMALS}f}" for v in address.area)
        made = address.made
        if made is not None:
            params["pipeline"] = made.pipeline
            if made.preset:
                params["preset"] = made.preset
            if not made.consistent:
                params["consistent"] = "0"
        if made is not None and address.coming is not None:
            c = address.coming
            params["next"] = f"{c.pipeline},{c.preset or ''},{int(c.consistent)}"
        if address.other:
            params["other"] = address.other
    if address.label_set:
        params["set"] = address.label_set
    if address.view is not None:
        (lat, lon), zoom = address.view
        params["view"] = f"{lat:.{DECIMALS}f},{lon:.{DECIMALS}f},{zoom}"
    if address.annotator:
        params["annotator"] = address.annotator
    if address.crop_class:
        params["class"] = address.crop_class
    if address.suggest:
        params["suggest"] = "1"
    return params


def decode(
    params: Mapping[str, str], pipelines: Collection[str], presets: Collection[str]
) -> tuple[Address, dict[str, str]]:
    """The working state in the query ``params``, and why each part left out was (by part:
    ``"area"``, ``"set"``, ``"view"``; plain text that may quote the address). An enhancement
    is kept only with a pipeline of ``pipelines`` and, when given, a preset of ``presets``; the
    other date is kept as written (the Label page keeps it only when the area has that
    acquisition)."""
    left_out: dict[str, str] = {}
    scene, area = params.get("scene") or None, None
    if scene and params.get("area"):
        area = usable_area(params["area"].split(","))
        if area is None:
            left_out["area"] = f"The address holds an area that is not {AREA_RULE}; pick it again."
    pipeline, preset = params.get("pipeline"), params.get("preset") or None
    made = None
    if pipeline in pipelines and (preset is None or preset in presets):
        made = Made(str(pipeline), preset, params.get("consistent") != "0")
    coming = None
    parts = params.get("next", "").split(",")
    known = len(parts) == 3 and parts[0] in pipelines and parts[1] in ("", *presets)
    if made is not None and known and parts[2] in ("0", "1"):
        coming = Made(parts[0], parts[1] or None, parts[2] == "1")
    label_set = params.get("set") or None
    if label_set:
        try:
            check_name(label_set)
        except LabelError as err:
            left_out["set"] = f"The label set in the address was left out: {err}."
            label_set = None
    view = usable_view(params.get("view", ""))
    if params.get("view") and view is None:
        left_out["view"] = (
            "The address holds a map view that is not latitude, longitude and zoom "
            f"(0-{MAX_ZOOM}); the map opens on the area instead."
        )
    address = Address(
        scene=scene,
        source=params.get("source") or "local",
        area=area,
        made=made,
        coming=coming,
        other=params.get("other") or None,
        label_set=label_set,
        view=view,
        annotator=params.get("annotator", "")[:MAX_ANNOTATOR] or None,
        crop_class=params.get("class", "")[:MAX_CLASS] or None,
        suggest=params.get("suggest") == "1",
    )
    return address, left_out


def usable_area(area: Sequence[Any]) -> Area | None:
    """``area`` as ``(west, south, east, north)`` floats in degrees, or ``None`` when it is not
    four numbers with west < east within -180..180 and south < north within -90..90 (NaN and
    infinities fail the comparisons)."""
    try:
        west, south, east, north = (float(v) for v in area)
    except (TypeError, ValueError):
        return None
    if -180 <= west < east <= 180 and -90 <= south < north <= 90:
        return west, south, east, north
    return None


def usable_view(text: str) -> MapView | None:
    """``lat,lon,zoom`` as ``([lat, lon], zoom)``, or ``None`` when it is not three numbers
    within latitude, longitude and zoom (0 to :data:`webmap.maps.MAX_ZOOM`) ranges."""
    try:
        lat, lon, zoom = (float(v) for v in text.split(","))
    except ValueError:
        return None
    if -90 <= lat <= 90 and -180 <= lon <= 180 and 0 <= zoom <= MAX_ZOOM:  # not NaN
        return [lat, lon], int(zoom)
    return None
