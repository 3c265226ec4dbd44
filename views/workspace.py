"""Where the annotator is working, kept in the page's address (not a page itself).

Every page writes the working state to the URL's query parameters: the scene (local, or from the
STAC catalogue, searched again by its id) and the area, the enhancement (method, preset, data
consistency), the label set, the labelling map's view and, without login, the annotator. A
reload, a new session or a shared link reads them back: the area is read again, the enhancement
is taken from the result cache (a Deep Image Prior fit is never started by a reload; without it
the page says so; while its job runs, the session waits for it), the set, the view and the
annotator are chosen again. A part that is not usable (a set name the store refuses, an area or
a view that is not numbers in range) is left out and said, never used.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import streamlit as st

import settings
from imagery.errors import UserError
from imagery.read import read_area
from imagery.stac import StacCatalog
from labels.features import LabelError
from labels.store import LabelStore
from runs.jobs import EnhanceRequest, Job
from runs.service import manager
from sr.enhance import DEFAULT_PRESET, PIPELINES, PRESETS, model_version, uses_dip
from sr.errors import NotCached
from webmap.maps import MAX_ZOOM

#: Decimals of the area's corners in the address (about 0.1 m).
DECIMALS = 6
#: What an area is, as the refusals say it.
AREA_RULE = (
    "four numbers west, south, east, north in degrees (west < east within -180..180, "
    "south < north within -90..90)"
)


def to_url(state: Any, signed_in: bool) -> None:
    """Write the session's working state to the address (only what changed)."""
    wanted: dict[str, str] = {}
    scene = state.get("scene")
    if scene is not None and state.get("area"):
        wanted["scene"] = scene.id
        if scene.source != "local":
            wanted["source"] = scene.source
        wanted["area"] = ",".join(f"{v:.{DECIMALS}f}" for v in state["area"])
        job = manager().get(state["job"]) if state.get("job") else None
        made: tuple[str, str | None, bool] | None = None  # shown, or on its way
        if job is not None:
            made = (job.pipeline, job.preset if uses_dip(job.pipeline) else None, job.consistent)
        elif state.get("enhanced") is not None and state.get("pipeline"):
            made = (state["pipeline"], state.get("preset"), state.get("faithful", True))
        if made:
            wanted["method"] = made[0]
            if made[1]:
                wanted["preset"] = made[1]
            if not made[2]:
                wanted["faithful"] = "0"
    if state.get("label_set"):
        wanted["set"] = state["label_set"]
    # where the labelling map was, or, before the Label page is opened, the view it will take
    view = getattr(state.get("label_page"), "view", None) or state.get("map_view")
    if isinstance(view, tuple):  # (centre [lat, lon], zoom)
        (lat, lon), zoom = view
        wanted["view"] = f"{lat:.{DECIMALS}f},{lon:.{DECIMALS}f},{zoom}"
    if state.get("annotator") and not signed_in:
        wanted["annotator"] = state["annotator"]
    params = st.query_params
    for key in [k for k in params if k not in wanted]:
        del params[key]
    for key, value in wanted.items():
        if params.get(key) != value:
            params[key] = value


def open_area(state: Any, catalog: Any, scene_id: str, area: Sequence[Any], max_size: int) -> str:
    """Read ``area`` (west, south, east, north) of the scene ``scene_id`` of ``catalog`` (a
    local catalogue, or a STAC one: anything with ``search()``, and ``get(id)`` for STAC) into
    the state, replacing the area and everything computed from it; returns why it could not
    (plain text that may quote the scene id and files), or ``""``."""
    box = usable_area(area)
    if box is None:
        return f"The area is not {AREA_RULE}; pick it again."
    try:
        if hasattr(catalog, "get"):
            scenes = [catalog.get(scene_id)]
        else:
            scenes = [s for s in catalog.search() if s.id == scene_id]
    except UserError as err:
        return f"The scene {scene_id!r} cannot be found again: {err}"
    if not scenes:
        return f"The scene {scene_id!r} is not among the local scenes."
    try:
        raster = read_area(scenes[0], box, max_size)
    except UserError as err:
        return f"The area cannot be read again: {err}"
    replace_area(state, scenes[0], box, raster)
    return ""


def usable_area(area: Sequence[Any]) -> tuple[float, float, float, float] | None:
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


def replace_area(state: Any, scene: Any, area: tuple[float, ...], raster: Any) -> None:
    """A new area replaces the old one and everything computed from it."""
    state.update(
        scene=scene,
        area=area,
        original=raster,
        enhanced=None,
        pipeline=None,
        preset=None,
        model_version=None,
        consistency=None,
        overlays={},
        job=None,
    )


def from_url(state: Any, catalog: Any, max_size: int) -> str:
    """Fill a new session's state from the address (areas up to ``max_size`` px a side);
    returns what could not be restored, as plain text that may quote the address (``""`` when
    all was, or nothing was asked). A part that is not usable is left out, never used."""
    params = st.query_params
    if params.get("annotator") and not state.get("annotator"):
        state["annotator"] = params["annotator"][:80]
    notes = [
        set_from_url(state, params.get("set", "")),
        view_from_url(state, params.get("view", "")),
        area_from_url(state, catalog, max_size),
    ]
    return " ".join(note for note in notes if note)


def set_from_url(state: Any, name: str) -> str:
    """The label set named in the address becomes the session's, unless the store refuses the
    name (``../../etc/passwd``); returns why it was left out, or ``""``."""
    if not name or state.get("label_set"):
        return ""
    try:
        LabelStore(settings.labels_dir()).path(name)
    except LabelError as err:
        return f"The label set in the address was left out: {err}."
    state["label_set"] = name
    return ""


def view_from_url(state: Any, text: str) -> str:
    """The labelling map's view in the address (``lat,lon,zoom``) for the Label page, unless it
    is not three numbers within latitude, longitude and zoom ranges; returns why it was left out,
    or ``""``."""
    if not text:
        return ""
    try:
        lat, lon, zoom = (float(v) for v in text.split(","))
        usable = -90 <= lat <= 90 and -180 <= lon <= 180 and 0 <= zoom <= MAX_ZOOM  # not NaN
    except ValueError:
        usable = False
    if not usable:
        return (
            "The address holds a map view that is not latitude, longitude and zoom "
            f"(0-{MAX_ZOOM}); the map opens on the area instead."
        )
    state["map_view"] = ([lat, lon], int(zoom))  # taken by the Label page's state
    return ""


def area_from_url(state: Any, catalog: Any, max_size: int) -> str:
    """Read the area in the address again, and take its enhancement from the cache (or wait for
    its job); returns what could not be restored, or ``""``."""
    params = st.query_params
    if state.get("original") is not None or not (params.get("scene") and params.get("area")):
        return ""
    area = usable_area(params["area"].split(","))
    if area is None:
        return f"The address holds an area that is not {AREA_RULE}; pick it again."
    if params.get("source") == "stac":  # an acquisition from the online catalogue
        catalog = StacCatalog()
    note = open_area(state, catalog, params["scene"], area, max_size)
    if note:
        return note
    raster = state["original"]
    method, preset = params.get("method"), params.get("preset") or DEFAULT_PRESET
    if method not in PIPELINES or preset not in PRESETS:
        return ""
    faithful = params.get("faithful") != "0"
    try:
        job = manager().from_cache(EnhanceRequest(raster, method, preset, faithful))
    except NotCached:
        return "The Deep Image Prior result of this area is not in the cache: enhance it again."
    except UserError as err:
        return f"The enhancement could not be restored: {err}"
    if job.active:  # still being computed: the session waits for it
        state["job"] = job.key
    else:
        set_enhanced(state, job)
    return ""


def set_enhanced(state: Any, job: Job) -> None:
    """A finished job's result becomes the current area's enhancement, with what made it and
    its departure from the 10 m image; the map pictures are drawn again."""
    state.update(
        enhanced=job.result,
        pipeline=job.pipeline,
        preset=job.preset if uses_dip(job.pipeline) else None,
        model_version=model_version(job.pipeline),
        consistency=job.departure,
        faithful=job.consistent,
        overlays={},
    )
