"""Where the annotator is working, kept in the page's address (not a page itself).

Every page writes the working state to the URL's query parameters: the scene (local, or from the
STAC catalogue, searched again by its id) and the area, the enhancement (method, preset, data
consistency), the label set, the labelling map's view and, without login, the annotator. A
reload, a new session or a shared link reads them back: the area is read again, the enhancement
is taken from the result cache (a Deep Image Prior fit is never started by a reload; without it
the page says so; while its job runs, the session waits for it), the set, the view and the
annotator are chosen again.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

import settings
from imagery.errors import UserError
from imagery.read import read_area
from imagery.stac import StacCatalog
from sr.cache import ResultCache
from sr.consistency import consistency
from sr.enhance import DEFAULT_PRESET, PIPELINES, PRESETS, enhance, model_version
from sr.errors import NotCached
from sr.jobs import manager, request_key

#: Decimals of the area's corners in the address (about 0.1 m).
DECIMALS = 6


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
            dip = job.pipeline.startswith("dip")
            made = (job.pipeline, job.preset if dip else None, job.consistent)
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


def open_area(
    state: Any, catalog: Any, scene_id: str, area: tuple[float, ...], max_size: int
) -> str:
    """Read ``area`` (west, south, east, north) of the scene ``scene_id`` of ``catalog`` (a
    local catalogue, or a STAC one: anything with ``search()``, and ``get(id)`` for STAC) into
    the state, replacing the area and everything computed from it; returns why it could not,
    or ``""``."""
    if len(area) != 4:
        return "The area is not four numbers; pick it again."
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
        raster = read_area(scenes[0], area, max_size)
    except UserError as err:
        return f"The area cannot be read again: {err}"
    replace_area(state, scenes[0], tuple(area), raster)
    return ""


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
    returns what could not be restored (``""`` when all was, or nothing was asked)."""
    params = st.query_params
    if params.get("set") and not state.get("label_set"):
        state["label_set"] = params["set"]
    if params.get("annotator") and not state.get("annotator"):
        state["annotator"] = params["annotator"][:80]
    try:
        lat, lon, zoom = (float(v) for v in params.get("view", "").split(","))
        state["map_view"] = ([lat, lon], int(zoom))  # taken by the Label page's state
    except ValueError:
        pass
    if state.get("original") is not None or not (params.get("scene") and params.get("area")):
        return ""
    try:
        area = tuple(float(v) for v in params["area"].split(","))
    except ValueError:
        return "The address holds an area that is not four numbers; pick it again."
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
    job = manager().get(request_key(raster, method, preset, faithful))
    if job is not None and job.active:  # still being computed: the session waits for it
        state["job"] = job.key
        return ""
    try:
        enhanced = enhance(
            raster,
            method,
            preset=preset,
            cache=ResultCache(settings.cache_dir()),
            consistent=faithful,
            fit_dip=False,
        )
    except NotCached:
        return "The Deep Image Prior result of this area is not in the cache: enhance it again."
    except UserError as err:
        return f"The enhancement could not be restored: {err}"
    set_enhanced(state, enhanced, method, preset, faithful)
    return ""


def set_enhanced(state: Any, enhanced: Any, method: str, preset: str, faithful: bool) -> None:
    """The enhancement of the current area, with what made it and its departure from the 10 m
    image; the map pictures are drawn again."""
    state.update(
        enhanced=enhanced,
        pipeline=method,
        preset=preset if method.startswith("dip") else None,
        model_version=model_version(method),
        consistency=consistency(state["original"], enhanced, 4),
        faithful=faithful,
        overlays={},
    )
