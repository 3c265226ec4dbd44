"""Where the annotator is working, kept in the page's address (not a page itself).

Every page writes the working state to the URL's query parameters: the scene (local, or from the
STAC catalogue, searched again by its id) and the area, the enhancement (pipeline, preset, data
consistency), the Label page's other date, the label set, the labelling map's view and, without
login, the annotator. A
reload, a new session or a shared link reads them back: the area is read again, the enhancement
is taken from the result cache (a Deep Image Prior fit is never started by a reload; without it
the page says so; while its job runs, the session waits for it), the set, the view and the
annotator are chosen again. A part that is not usable (a set name the store refuses, an area or
a view that is not numbers in range) is left out and said, never used. The parameters are
encoded and decoded by :mod:`views.address`; this module reads and writes them and acts on them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import streamlit as st

from imagery.errors import UserError
from imagery.read import read_area
from imagery.stac import StacCatalog
from runs.jobs import EnhanceRequest, Job
from runs.service import manager
from sr.enhance import DEFAULT_PRESET, PIPELINES, PRESETS, model_version, uses_dip
from sr.errors import NotCached
from views.address import AREA_RULE, Address, Made, MapView, decode, encode, usable_area

#: Session keys of the Label page's class choice and click-a-field toggle, kept in the address.
CROP_KEY, SUGGEST_KEY = "crop_class", "suggesting"
#: Session key of the Label page's *Other date* (an acquisition id; ``""``: none), kept in the
#: address with the area.
OTHER_KEY = "other_date_shown"


def to_url(state: Any, signed_in: bool) -> None:
    """Write the session's working state to the address (only what changed)."""
    scene, area, made, coming = state.get("scene"), state.get("area"), None, None
    if scene is not None and area:
        job = manager().get(state["job"]) if state.get("job") else None
        if job is not None:  # on its way
            preset = job.preset if uses_dip(job.pipeline) else None
            coming = Made(job.pipeline, preset, job.consistent)
        if state.get("enhanced") is not None and state.get("pipeline"):  # on screen
            made = Made(state["pipeline"], state.get("preset"), state.get("consistent", True))
        made, coming = (made or coming), (coming if made and coming != made else None)
    # where the labelling map was, or, before the Label page is opened, the view it will take
    view = getattr(state.get("label_page"), "view", None) or state.get("map_view")
    wanted = encode(
        Address(
            scene=None if scene is None else scene.id,
            source="local" if scene is None else scene.source,
            area=tuple(area) if area else None,
            made=made,
            coming=coming,
            other=state.get(OTHER_KEY) or None,
            label_set=state.get("label_set"),
            view=view if isinstance(view, tuple) else None,  # not the bounds of a table click
            annotator=None if signed_in else state.get("annotator"),
            crop_class=state.get(CROP_KEY),
            suggest=bool(state.get(SUGGEST_KEY)),
        )
    )
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


def default_set_name(scene: Any) -> str:
    """The label set a scene opens with when none was chosen: its id, made a file name."""
    return re.sub(r"[^\w.-]+", "_", scene.id).strip("._") or "labels"


def replace_area(state: Any, scene: Any, area: tuple[float, ...], raster: Any) -> None:
    """A new area replaces the old one and everything computed from it. When it replaces one
    (not the first of a session, which may come with a set and a view from the address), the
    labelling map opens on the new image, its other date is none again, and the old scene's
    default set is not carried over to another scene."""
    if state.get("original") is not None:
        old = state.get("scene")
        if (
            old is not None
            and old.id != scene.id
            and state.get("label_set") == default_set_name(old)
        ):
            state["label_set"] = None
        state["map_view"] = None
        state.pop(OTHER_KEY, None)
        page = state.get("label_page")
        if page is not None:
            page.view = None
            page.remount()
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
    address, left_out = decode(st.query_params, PIPELINES, PRESETS)
    if address.annotator and not state.get("annotator"):
        state["annotator"] = address.annotator
    if address.crop_class:  # the Label page keeps it only if the set has that class
        state[CROP_KEY] = address.crop_class
    state[SUGGEST_KEY] = address.suggest
    notes = [
        set_from_url(state, address.label_set, left_out.get("set", "")),
        view_from_url(state, address.view, left_out.get("view", "")),
        area_from_url(state, catalog, max_size, address, left_out.get("area", "")),
    ]
    return " ".join(note for note in notes if note)


def set_from_url(state: Any, name: str | None, left_out: str) -> str:
    """The label set named in the address becomes the session's, unless the session has one;
    returns why the address's was left out (``left_out``: a name the store refuses, such as
    ``../../etc/passwd``), or ``""``."""
    if state.get("label_set"):
        return ""
    if name:
        state["label_set"] = name
    return left_out


def view_from_url(state: Any, view: MapView | None, left_out: str) -> str:
    """The labelling map's view in the address, for the Label page; returns why it was left out
    (``left_out``), or ``""``."""
    if view is not None:
        state["map_view"] = view  # taken by the Label page's state
    return left_out


def area_from_url(state: Any, catalog: Any, max_size: int, address: Address, left_out: str) -> str:
    """Read the area in the address again, and take its enhancement from the cache (or wait for
    its job); returns what could not be restored (``left_out``: why the address's area was not
    usable), or ``""``."""
    if state.get("original") is not None:
        return ""
    if address.scene is None or address.area is None:
        return left_out
    if address.source == "stac":  # an acquisition from the online catalogue
        catalog = StacCatalog()
    note = open_area(state, catalog, address.scene, address.area, max_size)
    if note:
        return note
    if address.other:  # the Label page keeps it if the area has that acquisition
        state[OTHER_KEY] = address.other
    raster = state["original"]
    notes = [follow_made(state, raster, made) for made in (address.made, address.coming) if made]
    return " ".join(n for n in notes if n)


def follow_made(state: Any, raster: Any, made: Made) -> str:
    """Take the enhancement ``made`` of ``raster`` from the cache (it becomes the one shown), or
    wait for its job while it runs; returns why it could not be, or ``""``."""
    preset = made.preset or DEFAULT_PRESET
    try:
        job = manager().from_cache(EnhanceRequest(raster, made.pipeline, preset, made.consistent))
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
        consistent=job.consistent,
        overlays={},
    )
